"""Points expiry, the pure part: the program's policy (when earned points expire) and the lots a
member's ledger holds (which points are left, and when each expires). Storage and the expiry
pass live in storage/expiry.py and pipeline/expiry.py."""
