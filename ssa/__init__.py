"""Simple Spectral Access (SSA 1.1) for the CoRoT light curves, with their downloads, DataLink 1.1
links and a SODA 1.0 cutout service."""
