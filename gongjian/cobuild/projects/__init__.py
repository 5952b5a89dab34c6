"""Project pages and API (list, detail, plan and milestones, progress notes with photos, status actions)."""
