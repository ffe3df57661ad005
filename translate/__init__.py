"""Language detection, routing and translation to English."""
