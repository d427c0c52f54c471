#pragma once

#include "redisadapterbase_p.h"
#include "redisconnection.h"
#include "redisshardedadapter.h"

#include <QByteArray>
#include <QCborMap>
#include <QSet>

namespace SocketIo {

/*! socket.io-adapter's ClusterAdapter MessageType (protocol.md 6.2). */
enum class ClusterMessageType {
    InitialHeartbeat = 1,
    Heartbeat = 2,
    Broadcast = 3,
    SocketsJoin = 4,
    SocketsLeave = 5,
    DisconnectSockets = 6,
    FetchSockets = 7,
    FetchSocketsResponse = 8,
    ServerSideEmit = 9,
    ServerSideEmitResponse = 10,
    BroadcastClientCount = 11,
    BroadcastAck = 12,
    AdapterClose = 13,
};

class RedisShardedAdapterPrivate
    : public RedisAdapterPrivateBase<RedisShardedAdapterPrivate, RedisShardedAdapter, ClusterMessageType>
{
public:
    QString channel;           // <prefix>#<nsp>#
    QString responseChannel;   // <prefix>#<nsp>#<uid>#
    RedisSubscriptionMode mode = RedisSubscriptionMode::Dynamic;
    QSet<QString> roomChannels;   // rooms whose channel is subscribed (dynamic modes)

    static RedisShardedAdapterPrivate *get(RedisShardedAdapter *a) { return a->d_func(); }
    /*! 16 hex digits (8 random bytes), like ClusterAdapter's uids and request ids. */
    static QString newId();
    /*! PUBSUB SHARDNUMSUB of the namespace channel. */
    QList<QByteArray> numSubCommand() const;

    QString nspName() const;
    QString roomChannel(const QString &room) const { return channel + room + QLatin1Char('#'); }
    /*! The channels this adapter listens on now. */
    QList<QByteArray> channels() const;
    bool usesRoomChannel(const QString &room) const;

    /*! JSON, or msgpack when \a type may carry binary and \a message's data does. */
    static QByteArray encode(const QCborMap &message);
    bool spublish(const QString &channel, const QByteArray &payload);
    /*! uid and nsp added, then published on the namespace's or a room's channel. */
    bool publish(ClusterMessageType type, const QCborMap &data);
    void publishResponse(const QString &requesterUid, ClusterMessageType type, const QCborMap &data);
    /*! Registers a request and its timeout (addRequest()), then publishes it: \a data and requestId. */
    void startRequest(Request request, std::chrono::milliseconds timeout, const QCborMap &data);

    void onRoomCreated(const QString &room);
    void onRoomDeleted(const QString &room);
    /*! Whether \a channel is one of ours; if so, handles \a payload. */
    bool handleMessage(const QByteArray &channel, const QByteArray &payload);
    void onMessage(const QCborMap &message);
    void onResponse(const QCborMap &message);

    Q_DECLARE_PUBLIC(RedisShardedAdapter)
};

} // namespace SocketIo
