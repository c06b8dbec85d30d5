"""The engine of `mailtui setup` (issue 15): find an address's servers and probe them.

- presets: the big providers' hosts, ports, auth and folder habits.
- autoconfig: the domain's Thunderbird-format autoconfig file (safe XML read).
- srv: RFC 6186/8314 SRV and MX lookups through a `Resolver` (dnspython).
- discovery: presets → autoconfig → SRV → MX-hosted → guesses.
- probe: connect as a session would and read CAPABILITY / AUTH= before any login.

The prompts, the config writing and `mailtui setup` itself belong to the CLI.
"""
