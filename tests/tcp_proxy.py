"""A TCP forwarder for tests: put it between the portal and its database, then
freeze it (connections stay open and new ones are accepted, but not a byte
goes through either way: a frozen server, or a dead network path) or stop it
(every connection closed, new ones refused: an unreachable server)."""
from __future__ import annotations

import selectors
import socket
import threading


class TcpProxy:
    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.lock = threading.Lock()
        self.frozen = False
        self.ended = False
        self.pairs: dict[socket.socket, socket.socket] = {}
        self.listener: socket.socket | None = self._listen(0)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)
        self.thread.start()

    def freeze(self) -> None:
        with self.lock:
            self.frozen = True

    def stop(self) -> None:
        """Refuse connections and close every open one."""
        with self.lock:
            self._close_all()

    def resume(self) -> None:
        """Forward again (listening again on the same port if stopped)."""
        with self.lock:
            self.frozen = False
            if self.listener is None:
                self.listener = self._listen(self.port)

    def close(self) -> None:
        with self.lock:
            self.ended = True
            self._close_all()
        self.thread.join(timeout=5)

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        return listener

    def _close_all(self) -> None:
        for sock in [*self.pairs, *([self.listener] if self.listener else [])]:
            sock.close()
        self.pairs.clear()
        self.listener = None

    def _run(self) -> None:
        while True:
            with self.lock:
                if self.ended:
                    return
                watched = [self.listener] if self.listener else []
                if not self.frozen:
                    watched += list(self.pairs)
            with selectors.DefaultSelector() as selector:
                for sock in watched:
                    selector.register(sock, selectors.EVENT_READ)
                try:
                    ready = [key.fileobj for key, _ in selector.select(timeout=0.05)]
                except OSError:
                    continue  # a socket closed meanwhile
            with self.lock:
                for sock in ready:
                    self._serve(sock)

    def _serve(self, sock) -> None:
        """Under the lock: accept, or forward what one side sent (unless frozen since)."""
        if sock is self.listener:
            client, _ = sock.accept()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                return
            self.pairs[client], self.pairs[upstream] = upstream, client
        elif sock in self.pairs and not self.frozen:
            other = self.pairs[sock]
            try:
                data = sock.recv(65536)
                if data:
                    other.sendall(data)
                    return
            except OSError:
                pass
            for end in (sock, other):
                self.pairs.pop(end, None)
                end.close()
