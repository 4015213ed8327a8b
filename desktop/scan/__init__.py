"""Reading QR loyalty cards from camera frames: capture and decoding, no Qt."""
