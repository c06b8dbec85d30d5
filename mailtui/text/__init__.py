"""Pure codecs of untrusted text: the sanitiser and, one of each, the decoders every
adapter and face shares. No I/O, no Textual, no imapclient; every function runs in
linear time or on capped input (tests/unit/test_complexity.py).
"""
