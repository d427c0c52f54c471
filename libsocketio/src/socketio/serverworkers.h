#pragma once

#include <SocketIo/serveroptions.h>
#include <SocketIo/socketio_export.h>
#include <SocketIo/workeradapter.h>

#include <QHostAddress>
#include <QObject>

#include <functional>
#include <memory>

namespace SocketIo {

class Server;
class ServerWorkersPrivate;

/*!
  A multi-core Socket.IO server: \c count event-loop workers share one listening port, each a
  thread running its own Server, joined by a WorkerAdapter so that rooms, broadcasts, broadcasts
  with acknowledgements, fetchSockets, socketsJoin/Leave, disconnectSockets and serverSideEmit span
  every worker (what Node does with cluster, \c @socket.io/sticky and
  \c @socket.io/cluster-adapter, in one process).

  \code
  SocketIo::ServerWorkers workers(2, options, [](SocketIo::Server *io, int index) {
      // runs on worker \a index's thread, before it gets any connection
      QObject::connect(io, &SocketIo::Server::connection, io, [io](SocketIo::Socket *s) {
          s->on(u"message"_s, s, [io](const SocketIo::Message &m) {
              io->emitEvent(u"message"_s, m.args());   // reaches the clients of every worker
          });
      });
  });
  workers.listen(QHostAddress::Any, 3000);
  \endcode

  Threads: the ServerWorkers object lives on its owner's thread, which accepts the connections
  and hands them to the workers in turn. Everything of a worker (its Server, namespaces, sockets,
  and so the user's handlers connected in \c setup) runs on that worker's thread; a socket stays
  on one worker for its whole life. When the owner's thread runs an EpollEventDispatcher, each
  worker thread gets one too; otherwise the workers get Qt's default dispatcher. Handlers must not touch another worker's objects; reach the
  other workers through the broadcast API (or invoke()).

  Sticky sessions: an HTTP long-polling session sends its requests over several TCP connections,
  and one keep-alive connection may carry requests of several sessions. A request naming a session
  of another worker is handed to that worker with its connection (the socket moves to that
  worker's thread with whatever it buffered), so polling, the upgrade to WebSocket and pooled
  connections work whichever worker accepted the TCP connection. Unknown sessions get the same
  400 "Session ID unknown" as from a single Server.

  Adapter: each worker's namespaces get a WorkerAdapter of hub() unless ServerOptions::adapter is
  set; then every worker uses that factory and is one node of that cluster (e.g. one Redis node
  per worker). The factory is called on each worker's thread, so whatever the adapters use must
  live there: e.g. a RedisConnection per worker thread, created by the factory on first use
  (keyed by QThread::currentThread()), not one shared connection of the owner's thread. Connection state recovery spans the workers: a client that reconnects to another
  worker gets its session and missed packets back (see WorkerAdapter for the one limitation).
*/
class SOCKETIO_EXPORT ServerWorkers : public QObject
{
    Q_OBJECT
public:
    /*! Called on the thread of worker \a index with its Server, before the worker gets a
        connection. Must not wait for the owner's thread (the constructor waits for it). */
    using Setup = std::function<void(SocketIo::Server *server, int index)>;

    /*! Starts \a count workers (at least 1), each with a Server configured with \a options, and
        returns once every worker has run \a setup. */
    ServerWorkers(int count, const SocketIo::ServerOptions &options, const Setup &setup,
                  QObject *parent = nullptr);
    /*! Closes (see close()) and joins every worker thread. */
    ~ServerWorkers() override;

    /*! Listens on \a address (default: dual-stack any address); port 0 picks a free port. */
    bool listen(const QHostAddress &address = QHostAddress::Any, quint16 port = 0);
    bool isListening() const;
    quint16 serverPort() const;
    QString errorString() const;

    /*! Stops listening, then closes every worker's Server gracefully (sockets disconnect with
        "server shutting down", sessions send their close packet; at most about 2 s for the
        last bytes to leave), and waits for the worker threads to end. Emits closed(). */
    void close();

    int workerCount() const;
    /*! Engine.IO sessions of all workers (thread-safe). */
    int clientsCount() const;
    /*! Engine.IO sessions of worker \a index (thread-safe). */
    int clientsCount(int index) const;

    /*! Statistics: connections handed from one worker to another so far because a request named
        a session of that other worker (sticky sessions; thread-safe). */
    quint64 handOverCount() const;

    /*! Runs \a function with worker \a index's Server on that worker's thread (queued). Returns
        false if the worker is gone. */
    bool invoke(int index, const std::function<void(SocketIo::Server *server)> &function);

    /*! The hub joining the workers' adapters. */
    SocketIo::WorkerHub hub() const;

Q_SIGNALS:
    /*! close() finished: every worker thread has ended. */
    void closed();

private:
    std::unique_ptr<ServerWorkersPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(ServerWorkers)
    Q_DISABLE_COPY(ServerWorkers)
};

} // namespace SocketIo
