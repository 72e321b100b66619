-- 004_remote_account: whose platform account holds a remote meeting. 002's
-- meetings live in the organizer's own connected Zoom account and must be
-- updated, cancelled and read with that user's grant; NULL means the
-- server's own account (the default for every platform).

ALTER TABLE meetings
    ADD COLUMN remote_account CHAR(26) CHARACTER SET ascii NULL AFTER remote_uuid,
    ADD KEY meetings_remote_account (remote_account, platform, scheduled_for);
