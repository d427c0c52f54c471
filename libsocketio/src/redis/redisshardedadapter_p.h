#pragma once

#include "redisconnection.h"
#include "redisshardedadapter.h"

#include <QByteArray>
#include <QCborMap>
#include <QHash>
#include <QPointer>
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
{
public:
    RedisShardedAdapter *q_ptr = nullptr;
    QPointer<RedisConnection> connection;
    QString uid;
    QString channel;           // <prefix>#<nsp>#
    QString responseChannel;   // <prefix>#<nsp>#<uid>#
    RedisSubscriptionMode mode = RedisSubscriptionMode::Dynamic;
    std::chrono::milliseconds requestsTimeout{5000};
    bool registered = false;
    QSet<QString> roomChannels;   // rooms whose channel is subscribed (dynamic modes)

    struct Request
    {
        ClusterMessageType type = ClusterMessageType::FetchSockets;
        int expected = 0;
        int current = 0;
        QList<RemoteSocket> sockets;
        QCborArray responses;
        std::function<void(const Request &request, const QString &error)> finish;
    };
    QHash<QString, Request> requests;
    struct AckRequest
    {
        Adapter::ClientCountCallback clientCount;
        Adapter::AckCallback ack;
    };
    QHash<QString, AckRequest> ackRequests;

    static RedisShardedAdapterPrivate *get(RedisShardedAdapter *a) { return a->d_func(); }
    static QString randomId();

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
    /*! PUBSUB SHARDNUMSUB of the namespace channel; 1 when Redis cannot answer. */
    void numSub(const std::function<void(int)> &callback) const;
    /*! Runs \a ask with the number of other nodes when there are some, \a alone otherwise. */
    void askOtherNodes(const std::function<void(RedisShardedAdapterPrivate *d, int expected)> &ask,
                       const std::function<void()> &alone);
    void startRequest(Request request, std::chrono::milliseconds timeout, const QCborMap &data);
    void finishRequest(const QString &requestId, const QString &error);

    void onRoomCreated(const QString &room);
    void onRoomDeleted(const QString &room);
    /*! Whether \a channel is one of ours; if so, handles \a payload. */
    bool handleMessage(const QByteArray &channel, const QByteArray &payload);
    void onMessage(const QCborMap &message);
    void onResponse(const QCborMap &message);

    Q_DECLARE_PUBLIC(RedisShardedAdapter)
};

} // namespace SocketIo
