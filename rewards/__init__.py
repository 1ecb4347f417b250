"""Rewards, the pure part: a catalog item as the admin API takes it, and whether a member may have
one now (status, availability window, stock, the per-member limit, the price). Storage and the
transactions live in storage/rewards.py and pipeline/rewards.py."""
