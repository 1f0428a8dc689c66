"""Scale-out past one machine on Celery (`index --workers`, `worker`): the message a build
job travels as, the worker's side of a job, and the Celery app; the only code that imports
Celery, and only on those two paths."""
