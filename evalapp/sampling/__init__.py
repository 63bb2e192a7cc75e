"""Sample draws nobody can steer: prepared with a published commitment, drawn with a
witness value, verified by anyone; and the people drawn."""
