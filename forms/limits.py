"""The limits that the database's columns and the forms' validators must agree on, in one
place: the models size their columns from here and the forms check against the same numbers,
so a form never accepts what the database would refuse (an error page) nor refuses what it
would keep. Here rather than in the app because forms import nothing from the app."""

INDIVIDUAL_ITEMS_DEFAULT = 4  # 个性化内容: the source documents' questionnaire has four
ITEMS_MAX = 40  # common items of a campaign, and individual items of a subject, at most
TITLE_LENGTH = 200  # a campaign's or a section's title
ITEM_TEXT_LENGTH = 300  # a common or an individual item
PERSON_NAME_LENGTH = 100  # the person debriefing
POST_LENGTH = 200  # their post
GROUP_NAME_LENGTH = 50  # a rater group's name
RATER_GROUPS_MAX = 12  # a campaign has from 1 to 12 rater groups, numbered 1 to 12
REPORT_MAX_BYTES = 10 * 1024 * 1024  # an uploaded debriefing report (PDF or Word)
MIN_REPORT_SIZE_FLOOR = 3  # the minimum reporting size (the smallest cell shown) never below
MARKS_MAX = 200  # candidates a nomination ballot may mark at most, at the most
TOKEN_NAME_LENGTH = 100  # what an API token is for
TOKEN_DAYS_DEFAULT = 90  # an API token lasts this long unless its maker says otherwise
TOKEN_DAYS_MAX = 366  # and never longer (GB/T 22239-2019 8.1.4.1: credentials are renewed)
