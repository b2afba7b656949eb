"""For the classroom: presenter mode and export (pictures, clipboard, GIF)."""
