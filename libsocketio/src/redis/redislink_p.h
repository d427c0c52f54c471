// One hiredis asynchronous connection driven by the Qt event loop, with reconnection.
#pragma once

#include "redisadapteroptions.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QTimer>

#include <functional>

struct redisAsyncContext;
struct redisReply;

namespace SocketIo {

/*!
  A hiredis async context on the owner's event loop. Debian's <hiredis/adapters/qt.h> cannot be
  used with Qt 6: it connects QSocketNotifier::activated(int), a signal Qt 6 removed, so it would
  never read; this class installs its own event hooks (QSocketNotifier per direction).

  The link connects at start(), authenticates (AUTH, SELECT) and emits ready(). When the
  connection fails or drops it emits lost() and tries again after a growing delay
  (options.reconnectDelay doubling up to reconnectDelayMax), forever, until destroyed. Commands
  are refused (false) while not ready; callbacks of commands in flight when the link drops get a
  null reply.
*/
class RedisLink : public QObject
{
    Q_OBJECT
public:
    /*! A reply, or null when the command failed (connection lost, or destroyed). */
    using ReplyCallback = std::function<void(redisReply *reply)>;

    RedisLink(const QString &name, const RedisAdapterOptions &options, QObject *parent = nullptr);
    ~RedisLink() override;

    void start();
    bool isReady() const { return m_ready; }
    QString name() const { return m_name; }

    /*! Sends a command (binary-safe arguments). False, sending nothing, when not ready. */
    bool command(const QList<QByteArray> &args, const ReplyCallback &callback = {});
    /*! Sends SUBSCRIBE / PSUBSCRIBE (and their UN- forms): messages on those channels are emitted
        as messageReceived(). */
    bool subscribe(const QList<QByteArray> &args);
    /*! Channels and patterns subscribed but not confirmed by Redis yet. */
    int pendingSubscriptions() const { return m_pendingSubscriptions; }

    // hiredis C callbacks
    static void onConnect(const redisAsyncContext *ac, int status);
    static void onDisconnect(const redisAsyncContext *ac, int status);
    static void onReply(redisAsyncContext *ac, void *reply, void *privdata);
    static void onSubscription(redisAsyncContext *ac, void *reply, void *privdata);

Q_SIGNALS:
    /*! Connected and authenticated: commands are accepted. */
    void ready();
    /*! A connection attempt failed or the connection dropped; a retry is scheduled. */
    void lost(const QString &error);
    /*! A message on a subscribed channel (for PSUBSCRIBE, the channel it was published on). */
    void messageReceived(const QByteArray &channel, const QByteArray &payload);
    /*! Redis confirmed every subscription sent so far (pendingSubscriptions() is 0). */
    void subscriptionsConfirmed();

private:
    void connectNow();
    void handshakeStep(int step);
    void failed(const QString &error);
    void scheduleReconnect();

    QString m_name;
    RedisAdapterOptions m_options;
    redisAsyncContext *m_context = nullptr;
    QTimer m_reconnectTimer;
    int m_attempts = 0;
    bool m_ready = false;
    int m_pendingSubscriptions = 0;
    QString m_handshakeError;   // why the link itself dropped the connection (AUTH/SELECT refused)
};

} // namespace SocketIo
