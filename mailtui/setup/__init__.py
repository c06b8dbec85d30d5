"""The engine of `mailtui setup` (issue 15): find an address's servers and probe them.

- presets: the big providers' hosts, ports, auth and folder habits.
- autoconfig: the domain's Thunderbird-format autoconfig file (safe XML read).
- srv: RFC 6186/8314 SRV and MX lookups through a `Resolver` (dnspython).
- discovery: presets → autoconfig → SRV → MX-hosted → guesses.
- probe: connect as a session would and read CAPABILITY / AUTH= before any login.
- block: the proposal (first candidate that answers) and the commented TOML block.
- account: the login check, appending the block (0600), the first sync of INBOX.
- secrets: without a keyring, a password manager or a 0600 file (`password_command`).

The questions and the flow of `mailtui setup` belong to the CLI (cli/setup.py).
"""
