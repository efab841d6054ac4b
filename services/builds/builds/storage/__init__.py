"""The builds service's directory tree and the OSTree/Flatpak tools that work on it.

Not a Django app: plain modules the domain apps call (no models, no settings import at
module level).
"""
