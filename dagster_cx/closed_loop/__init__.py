"""Closing the loop: getting unhappy customers in front of the CX team."""
