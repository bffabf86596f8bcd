"""Question answering over 漯河市2024年国民经济和社会发展计划 (see DESIGN.md in ../shared)."""
__version__ = "0.1.0"
