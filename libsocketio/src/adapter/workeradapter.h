#pragma once

#include <SocketIo/sessionawareadapter.h>
#include <SocketIo/serveroptions.h>
#include <SocketIo/socketio_export.h>

#include <chrono>
#include <memory>

namespace SocketIo {

class WorkerHubPrivate;
class WorkerAdapterPrivate;

/*!
  The in-process meeting point of the WorkerAdapter instances of several Server objects that run
  on different threads of one process (ServerWorkers creates one; applications that run their own
  Server threads may create one too and give each Server adapterFactory()). It knows, per
  namespace name, the adapter of each server; every function is thread-safe.

  A cheap handle: copies share the same hub, which lives as long as a copy or an adapter of it.
*/
class SOCKETIO_EXPORT WorkerHub
{
public:
    WorkerHub();
    ~WorkerHub();
    WorkerHub(const WorkerHub &other);
    WorkerHub &operator=(const WorkerHub &other);

    /*! For ServerOptions::adapter: a WorkerAdapter of this hub per namespace. */
    SocketIo::AdapterFactory adapterFactory() const;

    /*! How long fetchSockets() and serverSideEmitWithAck() wait for the other servers (as
        RedisAdapterOptions::requestsTimeout; default 5 s). */
    void setRequestsTimeout(std::chrono::milliseconds timeout);
    std::chrono::milliseconds requestsTimeout() const;

    /*! Number of adapters (servers) currently registered for namespace \a nsp. */
    int serverCount(const QString &nsp) const;

private:
    friend class WorkerAdapter;
    friend class WorkerAdapterPrivate;
    std::shared_ptr<WorkerHubPrivate> d;
};

/*!
  The adapter that joins the servers of one process (ServerWorkers' workers), each running on its
  own thread: what socket.io's cluster adapter does between Node processes, done with queued calls
  instead of a message bus. Created per namespace by WorkerHub::adapterFactory().

  It keeps the namespace's local rooms (InMemoryAdapter) and reaches the adapters of the same
  namespace on the other servers of its hub: broadcasts (encoded once, every other server writes
  the same bytes to its local recipients on its own thread), broadcasts with acknowledgements (each
  server reports its client count, each client's answer comes back to the caller's thread),
  fetchSockets (RemoteSocket values of every server; their actions go through this adapter),
  socketsJoin / socketsLeave / disconnectSockets, serverCount() (the servers that have this
  namespace), serverSideEmit with or without acknowledgement (the other servers' Namespace signals
  fire on their threads). Operations flagged local() reach no other server. A namespace that exists
  on some servers only (dynamic namespaces) is simply absent on the others.

  Requests that wait for answers (fetchSockets, serverSideEmitWithAck) expect one answer from each
  other server and end after WorkerHub::requestsTimeout() with what arrived (socket.io's error text
  for serverSideEmitWithAck). Callbacks run on this adapter's thread, never inside the call for
  requests that wait.

  An emit to a single socket of this server (a room named by a local socket id) is not relayed.

  Connection state recovery (ServerOptions::connectionStateRecovery.enabled on the namespace's
  server; otherwise it behaves as InMemoryAdapter and stores nothing): each server logs, with its
  own offsets, the broadcasts it delivers, those relayed from the other servers included, and
  stores the sessions of its sockets (SessionAwareAdapter). restoreSession() looks here first,
  then asks the other servers, so a client that reconnects to another worker gets its socket
  back with the packets it missed. Limitation: a client recovered on another server that
  disconnects again before receiving a new packet carries an offset of the first server's log,
  which the second does not know; it then gets a new session.
*/
class SOCKETIO_EXPORT WorkerAdapter : public SessionAwareAdapter
{
    Q_OBJECT
public:
    /*! An adapter for \a nsp joined to the other adapters of \a hub. */
    WorkerAdapter(SocketIo::Namespace *nsp, const SocketIo::WorkerHub &hub);
    ~WorkerAdapter() override;

    void init() override;
    void close() override;
    void serverCount(const std::function<void(int count)> &callback) const override;

    void broadcast(const SocketIo::Packet &packet, const SocketIo::BroadcastOptions &opts) override;
    void broadcastWithAck(const SocketIo::Packet &packet, const SocketIo::BroadcastOptions &opts,
                          const ClientCountCallback &clientCountCallback,
                          const AckCallback &ackCallback) override;
    void fetchSockets(const SocketIo::BroadcastOptions &opts,
                      const std::function<void(const QList<SocketIo::RemoteSocket> &)> &callback) override;
    void addSockets(const SocketIo::BroadcastOptions &opts, const QStringList &rooms) override;
    void delSockets(const SocketIo::BroadcastOptions &opts, const QStringList &rooms) override;
    void disconnectSockets(const SocketIo::BroadcastOptions &opts, bool close) override;
    bool serverSideEmit(const QCborArray &packet) override;
    void serverSideEmitWithAck(const QCborArray &packet, const ServerSideAckCallback &callback) override;
    void persistSession(const QCborMap &session) override;
    void restoreSession(const QString &pid, const QString &offset,
                        const std::function<void(const QCborMap &session)> &callback) override;

private:
    friend class WorkerAdapterPrivate;
    std::unique_ptr<WorkerAdapterPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(WorkerAdapter)
    Q_DISABLE_COPY(WorkerAdapter)
};

} // namespace SocketIo
