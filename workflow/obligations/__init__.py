"""The visit obligations V1–V7: periods, evaluation as of a date and as known at a moment, reports."""
