"""Extension objects, created here and bound to an app in the factory."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from evalapp.database import Base, render_migration_type
from evalapp.paths import MIGRATIONS_DIR

db = SQLAlchemy(model_class=Base)
migrate = Migrate(
    directory=str(MIGRATIONS_DIR),
    render_as_batch=True,
    compare_type=True,
    render_item=render_migration_type,
)
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
