"""The primitive ops, one module per family.

Each module holds the Function subclasses of its family (forward and backward
side by side) and the public functions, with torch's names, that call them.
"""
