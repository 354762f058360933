import eventlet

# First, before anything opens a socket (the eoffice pytest plugin does the same).
eventlet.monkey_patch()
