"""Service posts, service brands, activities and shifts, sign-ups and the waiting list, check-in codes, hours, points, the
community leaderboard."""
