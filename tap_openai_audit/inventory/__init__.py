"""The access inventory: one snapshot stream per list endpoint of the Admin API."""
