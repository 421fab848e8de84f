"""A real SMTP server on loopback for the tests (Debian's python3-aiosmtpd).

Each message it accepts is written to OUT_DIR as <n>.eml (the raw message) with <n>.json (envelope).
Environment: SINK_USER/SINK_PASSWORD require that login (AUTH PLAIN/LOGIN without TLS, loopback
only); SINK_DEFER_FIRST=N answers the first N messages with a temporary failure (451).
Prints "ready <port>" once listening; stops on SIGTERM or when stdin closes.
"""
import json, os, signal, socket, sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

out_dir = sys.argv[1]
user, password = os.environ.get('SINK_USER'), os.environ.get('SINK_PASSWORD')
defer = int(os.environ.get('SINK_DEFER_FIRST', '0'))
lock = threading.Lock()
count = 0


class Handler:
    async def handle_DATA(self, server, session, envelope):
        global count, defer
        with lock:
            if defer > 0:
                defer -= 1
                return '451 4.3.0 Try again later'
            count += 1
            n = count
        with open(os.path.join(out_dir, f'{n}.eml.part'), 'wb') as f:
            f.write(envelope.original_content or envelope.content)
        with open(os.path.join(out_dir, f'{n}.json'), 'w') as f:
            json.dump({'mail_from': envelope.mail_from, 'rcpt_tos': envelope.rcpt_tos, 'login': session.auth_data}, f)
        os.rename(os.path.join(out_dir, f'{n}.eml.part'), os.path.join(out_dir, f'{n}.eml'))
        return '250 OK'


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)


kwargs = {'authenticator': authenticate, 'auth_required': True, 'auth_require_tls': False} if user else {}
# The controller checks it is up by connecting to its port, so it needs a real one rather than 0.
with socket.socket() as probe:
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
controller = Controller(Handler(), hostname='127.0.0.1', port=port, server_hostname='smtp-sink.test', **kwargs)
controller.start()
print(f'ready {port}', flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
stop.wait()
controller.stop()
