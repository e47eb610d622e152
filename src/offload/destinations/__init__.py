"""Destination backends: the seam between the engine and wherever the copies go.

``base`` holds the contract (``Destination``, ``Partial``, ``ReadBack``, ``Features``);
``local`` the local filesystem; ``naming`` the partial and keep-both names.
"""
