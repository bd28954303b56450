"""Citizen feedback and recommendations (phản ánh kiến nghị): submission, handling within legal deadlines,
published answers and their ratings."""
