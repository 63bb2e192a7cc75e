"""How the audit log reads: each action and each detail in the reader's language. An action or
a detail key not listed here (a newer one) is shown as stored, never dropped."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Kinds of action, for the filter: (prefix of the action names, label).
KINDS = (
    ("campaign.", _l("Campaigns: create, scoring, open, close")),
    ("setup.", _l("Set-up: questionnaire, subjects, rater groups")),
    ("roster.", _l("Roster and sample draws")),
    ("tickets.", _l("Tickets")),
    ("custody.", _l("Scrutineers' key custody")),
    ("paper.", _l("Paper ballots")),
    ("rectification.", _l("Rectification list")),
    ("results.", _l("Results exports")),
    ("login", _l("Log-ins and log-outs")),
    ("account.", _l("Accounts and roles")),
    ("security.", _l("Security: settings, passwords, second factors")),
    ("access.", _l("Refusals")),
    ("audit.", _l("Audit log: exports and purges")),
    ("unit.", _l("Unit tree")),
    ("api.", _l("API tokens")),
    ("round.", _l("Rounds: create, campaigns made, design carried to them")),
)

ACTIONS = {
    "campaign.create": _l("Campaign created"),
    "campaign.scoring": _l("Scoring settings changed"),
    "campaign.grading": _l("Rule of the grades (干部考核) changed"),
    "campaign.nomination": _l("Rule of the nomination (民主推荐) changed"),
    "results.grade_decision": _l("Decision among persons tied for 优秀 recorded"),
    "questionnaire.satisfaction": _l("Overall satisfaction asked or not"),
    "campaign.open": _l("Campaign opened"),
    "campaign.close": _l("Campaign closed"),
    "campaign.delete": _l("Draft campaign deleted"),
    "campaign.close_ceremony": _l("Closing started: scrutineers asked for their shares"),
    "custody.enrol": _l("Custody passphrase set"),
    "custody.confirm": _l("Scrutineer checked their share"),
    "custody.release": _l("Scrutineer released their share"),
    "custody.misfit": _l("Shares that did not fit the ballot box's key"),
    "custody.refused": _l("Scrutineer's passphrase refused at their share"),
    "campaign.share_refused": _l("Typed key shares refused at closing"),
    "questionnaire.edit": _l("Questionnaire item edited"),
    "questionnaire.move": _l("Questionnaire item moved"),
    "questionnaire.add": _l("Questionnaire item added"),
    "questionnaire.remove": _l("Questionnaire item removed"),
    "questionnaire.nomination": _l("Questionnaire made a nomination ballot"),
    "questionnaire.rename_section": _l("Questionnaire section renamed"),
    "subject.save": _l("Subject saved"),
    "groups.edit": _l("Rater groups edited"),
    "roster.import": _l("Roster imported"),
    "sample.prepare": _l("Sample draw prepared (roster frozen, commitment published)"),
    "sample.draw": _l("Sample drawn"),
    "sample.abandon": _l("Prepared sample draw set aside"),
    "sample.acknowledge": _l("Commitment of a sample draw acknowledged as received"),
    "sample.export": _l("Drawn list downloaded"),
    "tickets.issue": _l("Tickets issued"),
    "tickets.issue_from_draw": _l("Tickets issued from a draw"),
    "tickets.void": _l("Unused tickets voided"),
    "paper.decide": _l("Differing keyings of a paper ballot decided"),
    "paper.void": _l("Void paper ballot recorded"),
    "rectification.import": _l("Ledger imported"),
    "rectification.problem.add": _l("Problem added"),
    "rectification.problem.from_problem_list": _l("Problems added from the problem list"),
    "rectification.problem.from_results": _l("Problems added from the results"),
    "rectification.problem.delete": _l("Problem deleted with its measures"),
    "rectification.measure.add": _l("Measure added"),
    "rectification.measure.update": _l("Measure updated"),
    "rectification.measure.delete": _l("Measure deleted"),
    "results.export": _l("Results exported"),
    "login": _l("Logged in"),
    "logout": _l("Logged out"),
    "account.create": _l("Account created"),
    "account.import": _l("Staff accounts imported"),
    "account.disable": _l("Account disabled"),
    "account.enable": _l("Account re-enabled"),
    "account.delete": _l("Account deleted"),
    "account.reset_password": _l("Password reset to a temporary one"),
    "account.role": _l("Role or unit changed"),
    "login.directory_account": _l("Account made at a first directory log-in"),
    "login.refused": _l("Log-in refused"),
    "login.locked": _l("Account locked after failed log-ins"),
    "security.settings": _l("Security settings changed"),
    "security.password_change": _l("Password changed"),
    "security.second_factor": _l("Second factor enrolled"),
    "security.recovery_code": _l("Recovery code used to log in"),
    "access.forbidden": _l("Page refused (no permission)"),
    "audit.export": _l("Audit log exported"),
    "audit.purge": _l("Old audit entries purged"),
    "unit.create": _l("Unit created"),
    "unit.edit": _l("Unit renamed or changed"),
    "unit.move": _l("Unit moved"),
    "unit.retire": _l("Unit retired"),
    "unit.restore": _l("Unit restored"),
    "unit.import": _l("Unit file imported"),
    "api.token_create": _l("API token made"),
    "api.token_revoke": _l("API token revoked"),
    "api.token_refused": _l("API request refused: no valid token"),
    "round.create": _l("Round created"),
    "round.edit": _l("Title or schedule of a round changed"),
    "round.instantiate": _l("Campaigns of a round made for units below"),
    "round.propagate": _l("Change of a round's design carried to its campaigns not opened"),
    "round.rollup_export": _l("Roll-up of a round exported"),
}

# The kind an action belongs to, where its name does not start with the kind's prefix.
KIND_OF = {"questionnaire.": "setup.", "subject.": "setup.", "groups.": "setup.",
           "sample.": "roster.", "logout": "login"}

DETAILS = {
    "title": _l("Title"), "subject": _l("Subject"), "subjects": _l("Subjects"),
    "person": _l("Person debriefing"), "problems": _l("Problems"),
    "report_file": _l("Report file"), "item": _l("Item"), "before": _l("Before"),
    "after": _l("After"), "direction": _l("Direction"), "groups": _l("Rater groups"),
    "group": _l("Group"), "people": _l("People"), "per_group": _l("By group"),
    "draw": _l("Draw"), "seed": _l("Seed"), "fraction": _l("Sampling fraction"),
    "total": _l("Total"), "minimum": _l("At least per group"), "allocation": _l("Drawn"),
    "reason": _l("Reason"), "roster": _l("roster fingerprint"),
    "commitment": _l("Commitment"), "witness": _l("Witness value"), "secret": _l("Secret"),
    "batch": _l("Batch"), "share": _l("Share"), "shares": _l("Shares"),
    "step": _l("Step (check or release)"),
    "scrutineers": _l("Scrutineers holding the key"),
    "shares_needed": _l("Shares needed to open the box"),
    "tickets_used": _l("Tickets used (sealed boxes opened)"),
    "batches": _l("Batches"), "count": _l("Tickets"), "spares": _l("Spare tickets"),
    "voided": _l("Voided"),
    "ballots": _l("Ballots opened (one for each subject a ticket covers)"), "format": _l("Format"),
    "via": _l("Via"), "problem": _l("Problem"), "measure": _l("Measure"), "text": _l("Text"),
    "source": _l("Source"), "status": _l("Status"), "added": _l("Added"),
    "measures": _l("Measures"), "section": _l("Section"), "fields": _l("Fields decided"),
    "slips": _l("Ticket slips"), "paper_ballots": _l("Paper ballots"),
    "points_excellent": _l("Points for “excellent”"), "points_good": _l("Points for “good”"),
    "points_fair": _l("Points for “fair”"), "points_poor": _l("Points for “poor”"),
    "grade_excellent_min": _l("Grade “excellent” from"),
    "grade_good_min": _l("Grade “good” from"), "grade_fair_min": _l("Grade “fair” from"),
    "min_report_size": _l("Minimum reporting size (ballots)"),
    "void_blank_fraction": _l("A ballot is void when more than this share of items is blank"),
    "void_uniform": _l("Void ballots that give every item the same answer"),
    "paper_recheck_percent": _l("Paper ballots drawn for a third keying (%)"),
    "username": _l("Username"), "usernames": _l("Usernames"), "display_name": _l("Name"),
    "role": _l("Role"), "unit": _l("Unit"), "unchanged": _l("Left unchanged"),
    "directory_group": _l("Directory group"), "until": _l("Locked until"),
    "trim_above": _l("Drop the highest and lowest ballot score when there are more raters "
                     "than"),
    "path": _l("Address"), "method": _l("Method"), "filter": _l("Filter"),
    "purged": _l("Entries purged"), "first_kept": _l("First entry kept"),
    "chained_from": _l("Chained from (MAC)"), "older_than": _l("Older than"),
    "parent": _l("Parent unit"), "code": _l("Unit code"),
    "kind": _l("Level"), "units": _l("Units affected"), "name_zh": _l("Name (Chinese)"),
    "name_en": _l("Name (English, optional)"), "created": _l("Units created"),
    "moved": _l("Units moved"), "updated": _l("Units changed"),
    "token": _l("Token"), "prefix": _l("Token begins with"), "account": _l("Account"),
    "name": _l("For"), "days": _l("Valid for (days)"), "console": _l("On the console, as"),
    "address": _l("Network address"), "tokens": _l("Tokens"),
    "round": _l("Round"), "opens_on": _l("Planned opening"), "closes_on": _l("Planned closing"),
    "campaigns_made": _l("Campaigns made"), "campaigns_updated": _l("Campaigns updated"),
    "groups_kept": _l("Campaigns whose rater groups were left as they were"),
}

DIRECTIONS = {"up": _l("up"), "down": _l("down")}

# Why a log-in was refused (the "reason" of login.refused; see auth.views).
REFUSALS = {
    "unknown_user": _l("unknown username"), "wrong_password": _l("wrong password"),
    "disabled": _l("account disabled"), "locked": _l("account locked"),
    "wrong_code": _l("wrong or replayed second-factor code"),
    "wrong_current_password": _l("wrong current password when changing it"),
}


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def action_kind(action: str) -> str:
    """The kind prefix (see KINDS) an action is filtered under."""
    for prefix, kind in KIND_OF.items():
        if action.startswith(prefix):
            return kind
    return next((prefix for prefix, _label in KINDS if action.startswith(prefix)), action)
