"""gradproof's numeric side (NumPy + Hypothesis): the Jacobian-chain engine and property checks.

The numeric engine, strategies and claims are the subject of the next issue; this
package exists now so that the project installs with its final layout.
"""
