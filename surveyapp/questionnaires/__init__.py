"""Questionnaire definitions: the file format, its validation and stored versions."""
