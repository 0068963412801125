"""Test LMS (cmi5) + xAPI 1.0.3 LRS for coursebuild's tests: see README.md in this folder."""
