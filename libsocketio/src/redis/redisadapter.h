#pragma once

#include <SocketIo/inmemoryadapter.h>
#include <SocketIo/redisadapteroptions.h>
#include <SocketIo/remotesocket.h>
#include <SocketIo/socketioredis_export.h>

#include <QCborArray>
#include <QList>
#include <QSet>
#include <QString>

#include <functional>
#include <memory>

namespace SocketIo {

class RedisConnection;
class RedisAdapterPrivate;

/*!
  The cluster adapter of one namespace, wire-compatible with `@socket.io/redis-adapter` 8.x
  (protocol.md 6.1), so a cluster may mix these servers with Node.js ones and receive the
  messages of `@socket.io/redis-emitter`. Created by RedisConnection::adapterFactory().

  It keeps the namespace's rooms in memory (InMemoryAdapter) and relays over Redis:
  broadcasts (also to rooms and with exclusions, volatile), broadcasts with acknowledgements
  (every node reports its client count and relays each client's answer), socketsJoin /
  socketsLeave / disconnectSockets, fetchSockets, allRooms and serverSideEmit with or without
  acknowledgement. Operations flagged local() publish nothing. Malformed messages on its
  channels are logged (category `socketio.redis`) and ignored.

  Requests that wait for the other nodes (fetchSockets, allRooms, serverSideEmit with ack) expect
  `serverCount() - 1` answers within RedisAdapterOptions::requestsTimeout and otherwise end with
  socket.io's error texts. As in the official adapter, fetchSockets waits requestsTimeout whatever
  its BroadcastOptions flags.timeout (`io.timeout(ms).fetchSockets()` does not shorten it here;
  the sharded adapter, like socket.io's ClusterAdapter, does honour it).

  When Redis cannot answer the `PUBSUB NUMSUB` that counts the nodes (not connected, connection
  lost, an error reply), these requests fail at once instead of quietly answering for this node
  alone (the official adapter's promise rejects with the Redis client's error then): the error
  "cannot count the servers: PUBSUB NUMSUB failed: <why>" is logged, requestFailed() emitted,
  serverSideEmitWithAck's callback gets it with no responses, fetchRemoteSockets() and allRooms()
  get it with the local sockets / rooms. fetchSockets() through the core API (BroadcastOperator)
  cannot carry an error: on such a failure, as on timeout, it logs the error, emits
  requestFailed() and delivers the sockets it has (this node's on a NUMSUB failure);
  fetchRemoteSockets() reports the error itself.
*/
class SOCKETIO_REDIS_EXPORT RedisAdapter : public InMemoryAdapter
{
    Q_OBJECT
public:
    /*! An adapter for \a nsp relaying over \a connection (which must outlive it). */
    RedisAdapter(SocketIo::Namespace *nsp, SocketIo::RedisConnection *connection);
    ~RedisAdapter() override;

    /*! This adapter's cluster id (6 URL-safe characters, new for each adapter, like uid2(6)). */
    QString uid() const;
    SocketIo::RedisConnection *connection() const;

    void init() override;
    void close() override;
    /*! `PUBSUB NUMSUB <key>-request#<nsp>#`: the nodes serving this namespace (1 while Redis is
        unreachable; the interface has no error: the requests above report it). */
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

    /*! The sockets selected by \a opts on every node; \a error is empty, or "timeout reached
        while waiting for fetchSockets response" after requestsTimeout (then \a sockets holds those
        that arrived), or "cannot count the servers: ..." (then \a sockets are this node's).
        \a callback runs once, possibly synchronously when there is no other node. */
    void fetchRemoteSockets(const SocketIo::BroadcastOptions &opts,
                            const std::function<void(const QList<SocketIo::RemoteSocket> &sockets,
                                                     const QString &error)> &callback);
    /*! The names of the rooms of every node; \a error is empty, or "timeout reached while waiting
        for allRooms response", or "cannot count the servers: ..." (then \a rooms are this
        node's). \a callback runs once, possibly synchronously. */
    void allRooms(const std::function<void(const QSet<QString> &rooms, const QString &error)> &callback);

Q_SIGNALS:
    /*! A request to the other nodes failed (socket.io's error text), e.g. a node did not answer. */
    void requestFailed(const QString &error);

private:
    friend class RedisConnectionPrivate;
    std::unique_ptr<RedisAdapterPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(RedisAdapter)
    Q_DISABLE_COPY(RedisAdapter)
};

} // namespace SocketIo
