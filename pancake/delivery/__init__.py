"""The delivery: the CLI, exports, notifications, the digest and alerts, sign-in and sessions, the
standup picture and the app server.
"""
