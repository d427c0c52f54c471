#pragma once

#include "redisadapter.h"
#include "redisconnection.h"

#include <QByteArray>
#include <QCborMap>
#include <QHash>
#include <QPointer>

namespace SocketIo {

/*! Request types of `@socket.io/redis-adapter` (protocol.md 6.1). */
enum class RedisRequestType {
    Sockets = 0,
    AllRooms = 1,
    RemoteJoin = 2,
    RemoteLeave = 3,
    RemoteDisconnect = 4,
    RemoteFetch = 5,
    ServerSideEmit = 6,
    Broadcast = 7,
    BroadcastClientCount = 8,
    BroadcastAck = 9,
};

class RedisAdapterPrivate
{
public:
    RedisAdapter *q_ptr = nullptr;
    QPointer<RedisConnection> connection;
    QString uid;
    QString channel;           // <key>#<nsp>#
    QString requestChannel;    // <key>-request#<nsp>#
    QString responseChannel;   // <key>-response#<nsp>#
    std::chrono::milliseconds requestsTimeout{5000};
    bool publishOnSpecificResponseChannel = false;
    bool registered = false;

    // requests waiting for answers (fetchSockets, allRooms, serverSideEmit with ack)
    struct Request
    {
        RedisRequestType type = RedisRequestType::RemoteFetch;
        int numSub = 0;
        int msgCount = 0;
        QList<RemoteSocket> sockets;
        QSet<QString> rooms;
        QCborArray responses;
        std::function<void(const Request &request, const QString &error)> finish;
    };
    QHash<QString, Request> requests;
    // broadcasts with ack started here, until their timeout
    struct AckRequest
    {
        Adapter::ClientCountCallback clientCount;
        Adapter::AckCallback ack;
    };
    QHash<QString, AckRequest> ackRequests;

    static RedisAdapterPrivate *get(RedisAdapter *a) { return a->d_func(); }
    static QString generateId();

    QByteArray broadcastPattern() const { return (channel + QLatin1Char('*')).toUtf8(); }
    QString specificResponseChannel() const { return responseChannel + uid + QLatin1Char('#'); }
    QString nspName() const;

    bool publish(const QString &channel, const QByteArray &payload);
    bool publishRequest(const QCborMap &request);
    /*! Publishes REMOTE_JOIN or REMOTE_LEAVE (socketsJoin/socketsLeave) of \a rooms for \a opts. */
    void publishRoomsRequest(RedisRequestType type, const BroadcastOptions &opts, const QStringList &rooms);
    void publishResponse(const QCborMap &request, const QByteArray &response);
    /*! PUBSUB NUMSUB of the request channel; 1 when Redis cannot answer. */
    void numSub(const std::function<void(int)> &callback) const;

    void handleMessage(const QByteArray &channel, const QByteArray &payload);
    void onBroadcast(const QString &channel, const QByteArray &payload);
    void onRequest(const QByteArray &payload);
    void onResponse(const QByteArray &payload);
    void finishRequest(const QString &requestId, const QString &error);
    /*! Calls \a ask with this private and the request channel's NUMSUB when other nodes listen
        (NUMSUB > 1), \a alone otherwise; neither once the adapter is gone. */
    void askOtherNodes(const std::function<void(RedisAdapterPrivate *d, int numSub)> &ask,
                       const std::function<void()> &alone);
    /*! Registers a request and its timeout, then publishes it: uid, requestId and the request's
        type followed by \a fields. */
    void startRequest(Request request, std::chrono::milliseconds timeout, const QString &timeoutError,
                      const QCborMap &fields = {});

    Q_DECLARE_PUBLIC(RedisAdapter)
};

} // namespace SocketIo
