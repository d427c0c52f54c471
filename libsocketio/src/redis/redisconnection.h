#pragma once

#include <SocketIo/redisadapteroptions.h>
#include <SocketIo/serveroptions.h>
#include <SocketIo/socketioredis_export.h>

#include <QObject>
#include <QString>

#include <memory>

namespace SocketIo {

class RedisConnectionPrivate;

/*!
  The Redis connections of one server node: one publisher and one subscriber connection, shared
  by the RedisAdapter of every namespace of the server (socket.io's `pubClient` / `subClient`).
  Exactly one subscriber connection per node matters: the other nodes count servers with
  `PUBSUB NUMSUB <key>-request#<nsp>#`, i.e. subscribed connections.

  It connects as soon as it is constructed and keeps trying: when Redis is unreachable at start,
  or goes away later, the connection reports it (disconnected(), errorOccurred(), a warning in
  the `socketio.redis` log category), reconnects with a growing delay
  (RedisAdapterOptions::reconnectDelay up to reconnectDelayMax), subscribes again and emits
  connected(). Meanwhile the adapters keep serving their local sockets; what they would have
  published is dropped and requests end with their timeout errors.

  \code
  SocketIo::RedisAdapterOptions redisOptions;
  redisOptions.setUrl(QUrl(u"redis://127.0.0.1:6379"_s));
  auto *redis = new SocketIo::RedisConnection(redisOptions, &app);
  SocketIo::ServerOptions options;
  options.adapter = redis->adapterFactory();
  SocketIo::Server io(options);
  \endcode

  With RedisAdapterOptions::sharded (Redis 7 or newer) it speaks `createShardedAdapter`'s
  protocol instead: the subscriber connection uses sharded Pub/Sub (SSUBSCRIBE, one connection
  per node, counted by `PUBSUB SHARDNUMSUB <prefix>#<nsp>#`), messages are sent with SPUBLISH, and
  adapterFactory() creates a RedisShardedAdapter per namespace. After a Redis restart it
  subscribes every current channel again, room channels included.

  \code
  SocketIo::RedisAdapterOptions redisOptions;
  redisOptions.setUrl(QUrl(u"redis://127.0.0.1:6379"_s));
  redisOptions.sharded = true;                                             // createShardedAdapter
  redisOptions.subscriptionMode = SocketIo::RedisSubscriptionMode::Dynamic; // its default
  redisOptions.channelPrefix = u"socket.io"_s;                             // its default
  auto *redis = new SocketIo::RedisConnection(redisOptions, &app);
  \endcode

  Lives on the thread that created it; everything happens on its event loop. Destroy it after
  the servers that use it (their adapters then stop publishing).
*/
class SOCKETIO_REDIS_EXPORT RedisConnection : public QObject
{
    Q_OBJECT
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
public:
    enum class State {
        Connecting,     // before the first successful connection
        Connected,      // both connections up, subscriptions confirmed
        Disconnected,   // lost; reconnecting
    };
    Q_ENUM(State)

    explicit RedisConnection(const SocketIo::RedisAdapterOptions &options = SocketIo::RedisAdapterOptions(),
                             QObject *parent = nullptr);
    ~RedisConnection() override;

    SocketIo::RedisAdapterOptions options() const;
    State state() const;
    bool isConnected() const { return state() == State::Connected; }
    /*! The last connection error (empty before any). */
    QString errorString() const;

    /*! A ServerOptions::adapter factory creating a RedisAdapter (a RedisShardedAdapter when
        options().sharded) on this connection for each namespace. Once this connection is destroyed the factory creates nothing (the server then
        falls back to its default in-memory adapter). */
    SocketIo::AdapterFactory adapterFactory();

Q_SIGNALS:
    /*! Both connections are up and Redis confirmed the subscriptions of the adapters existing at
        that time (first time, and after each recovery). */
    void connected();
    /*! A connection to Redis was lost; reconnection runs. */
    void disconnected();
    /*! A connection attempt failed or a connection dropped, with hiredis' reason. */
    void errorOccurred(const QString &message);
    void stateChanged(SocketIo::RedisConnection::State state);

private:
    friend class RedisAdapter;
    std::unique_ptr<RedisConnectionPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(RedisConnection)
    Q_DISABLE_COPY(RedisConnection)
};

} // namespace SocketIo
