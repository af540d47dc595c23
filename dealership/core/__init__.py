"""The patterns every app shares (ARCHITECTURE.md, #21). The lowest layer: imports Django only."""
