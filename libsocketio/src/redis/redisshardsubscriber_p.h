// The sharded Pub/Sub subscriber connection (SSUBSCRIBE / smessage), over hiredis' reply reader.
#pragma once

#include "redisadapteroptions.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QTimer>

struct redisReader;
struct redisReply;
class QTcpSocket;

namespace SocketIo {

/*!
  One Redis connection in sharded Pub/Sub mode (Redis >= 7: SSUBSCRIBE, SUNSUBSCRIBE, smessage).

  hiredis 0.14's asynchronous API cannot be used here: it only tracks SUBSCRIBE/PSUBSCRIBE, so an
  `ssubscribe` confirmation or an `smessage` push arrives as a reply to no command (its reply
  queue is empty) and trips an assertion. This class owns the socket (QTcpSocket on the owner's
  event loop) and uses only hiredis' RESP reader (redisReaderFeed / redisReaderGetReply), writing
  the commands itself.

  It connects at start(), sends AUTH when a password is set (SELECT is pointless for Pub/Sub) and
  emits ready(). When the connection fails or drops it emits lost() and tries again after a growing
  delay (reconnectDelay doubling up to reconnectDelayMax), forever, until destroyed. The owner
  subscribes again after each ready().
*/
class RedisShardSubscriber : public QObject
{
    Q_OBJECT
public:
    RedisShardSubscriber(const QString &name, const RedisAdapterOptions &options, QObject *parent = nullptr);
    ~RedisShardSubscriber() override;

    void start();
    bool isReady() const { return m_ready; }
    QString name() const { return m_name; }

    /*! SSUBSCRIBE (\a subscribe true) or SUNSUBSCRIBE each of \a channels, one command per channel
        (channels of different hash slots may not share a command on a cluster). False, sending
        nothing, when not ready. */
    bool send(bool subscribe, const QList<QByteArray> &channels);
    /*! SSUBSCRIBEs sent but not confirmed by Redis yet. */
    int pendingSubscriptions() const { return m_pendingSubscriptions; }

Q_SIGNALS:
    /*! Connected and authenticated: subscriptions are accepted. */
    void ready();
    /*! A connection attempt failed or the connection dropped; a retry is scheduled. */
    void lost(const QString &error);
    /*! An `smessage` on a subscribed shard channel. */
    void messageReceived(const QByteArray &channel, const QByteArray &payload);
    /*! Redis confirmed every SSUBSCRIBE sent so far. */
    void subscriptionsConfirmed();

private:
    void connectNow();
    void onConnected();
    void onReadyRead();
    void onDisconnected(const QString &error);
    void handleReply(redisReply *reply);
    void write(const QList<QByteArray> &args);
    void scheduleReconnect();

    QString m_name;
    RedisAdapterOptions m_options;
    QTcpSocket *m_socket = nullptr;
    redisReader *m_reader = nullptr;
    QTimer m_reconnectTimer;
    int m_attempts = 0;
    bool m_ready = false;
    bool m_authPending = false;
    int m_pendingSubscriptions = 0;
};

} // namespace SocketIo
