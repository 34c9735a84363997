"""Simple Cone Search (SCS 1.03 with its errata, and the DALI parameters of SCS 1.1) over the
CoRoT observation log."""
