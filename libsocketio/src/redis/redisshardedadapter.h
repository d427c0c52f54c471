#pragma once

#include <SocketIo/inmemoryadapter.h>
#include <SocketIo/redisadapteroptions.h>
#include <SocketIo/remotesocket.h>
#include <SocketIo/socketioredis_export.h>

#include <QCborArray>
#include <QList>
#include <QString>

#include <functional>
#include <memory>

namespace SocketIo {

class RedisConnection;
class RedisShardedAdapterPrivate;

/*!
  The cluster adapter of one namespace over Redis 7 sharded Pub/Sub, wire-compatible with
  `createShardedAdapter` of `@socket.io/redis-adapter` 8.x (socket.io-adapter's ClusterAdapter
  messages, protocol.md 6.2) in its three subscription modes, so a cluster may mix these servers
  with Node.js ones. Created by RedisConnection::adapterFactory() when
  RedisAdapterOptions::sharded is set.

  Channels (SSUBSCRIBE / SPUBLISH): the namespace's `<prefix>#<nsp>#`, this adapter's response
  channel `<prefix>#<nsp>#<uid>#`, and in the dynamic modes one `<prefix>#<nsp>#<room>#` per room
  with a local member (RedisSubscriptionMode), subscribed when the room is created here and
  unsubscribed when it is deleted. A broadcast without acknowledgement to exactly one room goes to
  that room's channel when the mode gives the room one; everything else goes to the namespace's
  channel, and answers go to the requester's response channel. Messages are JSON, or MessagePack
  when a broadcast, an acknowledgement, a fetchSockets answer or a serverSideEmit (or its answer)
  carries binary data, exactly as Node decides.

  It keeps the namespace's rooms in memory (InMemoryAdapter) and relays broadcasts (rooms,
  exclusions, volatile, binary), broadcasts with acknowledgements (every node reports its client
  count and relays each client's answer), socketsJoin / socketsLeave / disconnectSockets,
  fetchSockets and serverSideEmit with or without acknowledgement. Operations flagged local()
  publish nothing. serverCount() is `PUBSUB SHARDNUMSUB <prefix>#<nsp>#`. Requests expect
  `serverCount() - 1` answers within RedisAdapterOptions::requestsTimeout (fetchSockets: its
  timeout() flag when set) and otherwise end with socket.io's error
  "timeout reached: only X responses received out of Y". When Redis cannot answer the
  `PUBSUB SHARDNUMSUB` that counts the nodes, fetchSockets and serverSideEmit with ack fail at once
  with "cannot count the servers: PUBSUB SHARDNUMSUB failed: <why>" (logged, requestFailed();
  fetchRemoteSockets() gets this node's sockets with it) instead of answering for this node alone.
  Malformed messages are logged (category `socketio.redis`) and ignored.
*/
class SOCKETIO_REDIS_EXPORT RedisShardedAdapter : public InMemoryAdapter
{
    Q_OBJECT
public:
    /*! An adapter for \a nsp relaying over \a connection (which must outlive it). */
    RedisShardedAdapter(SocketIo::Namespace *nsp, SocketIo::RedisConnection *connection);
    ~RedisShardedAdapter() override;

    /*! This adapter's cluster id: 16 hex digits (8 random bytes), new for each adapter, like
        ClusterAdapter's. */
    QString uid() const;
    SocketIo::RedisConnection *connection() const;
    /*! The room channels subscribed now (dynamic modes), as room names. */
    QStringList subscribedRooms() const;

    void init() override;
    void close() override;
    /*! `PUBSUB SHARDNUMSUB <prefix>#<nsp>#`: the nodes serving this namespace (1 while Redis is
        unreachable). */
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

    /*! The sockets selected by \a opts on every node; \a error is empty, or socket.io's
        "timeout reached: only X responses received out of Y" (then \a sockets holds those that
        arrived), or "cannot count the servers: ..." (this node's sockets). \a callback runs once, possibly synchronously when there is no other node. */
    void fetchRemoteSockets(const SocketIo::BroadcastOptions &opts,
                            const std::function<void(const QList<SocketIo::RemoteSocket> &sockets,
                                                     const QString &error)> &callback);

Q_SIGNALS:
    /*! A request to the other nodes failed (socket.io's error text), e.g. a node did not answer. */
    void requestFailed(const QString &error);

private:
    friend class RedisConnectionPrivate;
    std::unique_ptr<RedisShardedAdapterPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(RedisShardedAdapter)
    Q_DISABLE_COPY(RedisShardedAdapter)
};

} // namespace SocketIo
