#pragma once

#include <SocketIo/socketioredis_export.h>

#include <QString>
#include <QUrl>

#include <chrono>

namespace SocketIo {

/*!
  Which room channels a sharded adapter (RedisAdapterOptions::sharded) subscribes to: the
  `subscriptionMode` option of `@socket.io/redis-adapter`'s createShardedAdapter. Every node of a
  cluster must use the same mode.
*/
enum class RedisSubscriptionMode {
    /*! Only the namespace's channel `<prefix>#<nsp>#` (and the node's response channel): every
        broadcast goes through it. */
    Static,
    /*! Also one channel `<prefix>#<nsp>#<room>#` per public room (not a socket id) that has a
        local member, subscribed while it does; broadcasts to exactly one such room use it
        (createShardedAdapter's default). */
    Dynamic,
    /*! Like Dynamic, for every room, socket ids included. */
    DynamicPrivate,
};

/*!
  Options of the Redis cluster adapter, named after `@socket.io/redis-adapter`'s options plus the
  Redis server to use (what the Node side passes as its pub/sub clients).

  \code
  SocketIo::RedisAdapterOptions options;
  options.setUrl(QUrl(u"redis://:secret@127.0.0.1:6379/0"_s));
  \endcode
*/
struct SOCKETIO_REDIS_EXPORT RedisAdapterOptions
{
    /*! Channel prefix ("key"): channels are `<key>#<nsp>#`, `<key>-request#<nsp>#`, ... Every
        node of a cluster must use the same. */
    QString key = QStringLiteral("socket.io");
    /*! How long fetchSockets(), allRooms() and serverSideEmit with acks wait for the other nodes
        (the sharded adapter too, where Node's fixed value is the same 5000 ms). */
    std::chrono::milliseconds requestsTimeout{5000};
    /*! Answer requests on the requester's own channel `<key>-response#<nsp>#<uid>#` instead of
        the shared `<key>-response#<nsp>#` (acks of serverSideEmit always use the shared one). */
    bool publishOnSpecificResponseChannel = false;

    /*! Use Redis 7 sharded Pub/Sub (SSUBSCRIBE/SPUBLISH), i.e. the protocol of
        `createShardedAdapter` (RedisShardedAdapter) instead of `createAdapter` (RedisAdapter).
        The two do not talk to each other: every node of a cluster must use the same. */
    bool sharded = false;
    /*! Sharded only: createShardedAdapter's `subscriptionMode`. */
    RedisSubscriptionMode subscriptionMode = RedisSubscriptionMode::Dynamic;
    /*! Sharded only: createShardedAdapter's `channelPrefix` (channels `<prefix>#<nsp>#...`). */
    QString channelPrefix = QStringLiteral("socket.io");

    /*! The Redis server. */
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 6379;
    /*! AUTH credentials (Redis 6 ACL user name optional); empty: no AUTH. */
    QString username;
    QString password;
    /*! SELECT index (Pub/Sub ignores it; kept for parity with redis URLs). */
    int db = 0;

    /*! First delay before reconnecting after Redis became unreachable; doubles per failed attempt. */
    std::chrono::milliseconds reconnectDelay{100};
    /*! Upper bound of that delay. */
    std::chrono::milliseconds reconnectDelayMax{5000};

    /*! Reads host, port, user name, password and db from a `redis://[[user]:password@]host[:port][/db]`
        URL. Returns false, changing nothing, for another scheme or a bad db number. */
    bool setUrl(const QUrl &url);
    /*! The server as a redis:// URL (without the password). */
    QUrl url() const;
};

} // namespace SocketIo
