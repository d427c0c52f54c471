#pragma once

#include "redisadapter.h"
#include "redisadapterbase_p.h"
#include "redisconnection.h"

#include <QByteArray>
#include <QCborMap>

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

class RedisAdapterPrivate : public RedisAdapterPrivateBase<RedisAdapterPrivate, RedisAdapter, RedisRequestType>
{
public:
    QString channel;           // <key>#<nsp>#
    QString requestChannel;    // <key>-request#<nsp>#
    QString responseChannel;   // <key>-response#<nsp>#
    bool publishOnSpecificResponseChannel = false;

    static RedisAdapterPrivate *get(RedisAdapter *a) { return a->d_func(); }
    /*! An id like uid2(6): 6 URL-safe characters (adapter uids and request ids). */
    static QString newId();
    /*! PUBSUB NUMSUB of the request channel. */
    QList<QByteArray> numSubCommand() const;

    QByteArray broadcastPattern() const { return (channel + QLatin1Char('*')).toUtf8(); }
    QString specificResponseChannel() const { return responseChannel + uid + QLatin1Char('#'); }
    QString nspName() const;

    bool publish(const QString &channel, const QByteArray &payload);
    bool publishRequest(const QCborMap &request);
    /*! Publishes REMOTE_JOIN or REMOTE_LEAVE (socketsJoin/socketsLeave) of \a rooms for \a opts. */
    void publishRoomsRequest(RedisRequestType type, const BroadcastOptions &opts, const QStringList &rooms);
    void publishResponse(const QCborMap &request, const QByteArray &response);

    void handleMessage(const QByteArray &channel, const QByteArray &payload);
    void onBroadcast(const QString &channel, const QByteArray &payload);
    void onRequest(const QByteArray &payload);
    void onResponse(const QByteArray &payload);
    /*! Registers a request and its timeout (addRequest()), then publishes it: uid, requestId and
        the request's type followed by \a fields. */
    void startRequest(Request request, std::chrono::milliseconds timeout, const QString &timeoutError,
                      const QCborMap &fields = {});

    Q_DECLARE_PUBLIC(RedisAdapter)
};

} // namespace SocketIo
