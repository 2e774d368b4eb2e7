"""Publishing by the publisher's staff: accounts and sign-in throttling
(:mod:`.accounts`), API tokens (:mod:`.tokens`), uploads checked safely
(:mod:`.uploads`), background jobs and their worker (:mod:`.jobs`), and the
difference between a new version and the current one (:mod:`.diff`), and
the audit log of all of it (:mod:`.audit`).

Nothing here knows about Flask.
"""
