"""WTForms forms of evalapp, one module per feature.

This package knows nothing of the app (it never imports `evalapp`): the app imports forms, not
the reverse. `forms.limits` holds the numbers the app's models share with the validators.
"""
