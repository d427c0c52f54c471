#pragma once

#include "chartseries.h"
#include "eventlogmodel.h"
#include "roomsmodel.h"
#include "serversmodel.h"
#include "socketsmodel.h"

#include <QObject>
#include <QStringList>
#include <QUrl>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

#include <memory>

namespace SocketIo {
class Client;
class ClientSocket;
}

namespace SocketIo::Dashboard {

class AdminConnectionPrivate;

/*!
  One monitored server: a SocketIo::Client on the admin namespace of \c url speaking the
  @socket.io/admin-ui protocol (protocol.md section 5), feeding the models below.

  Settings (url, path "/socket.io", namespaceName "/admin", websocketOnly, username) are read by
  open(). Authentication: CONNECT auth is {"sessionId"} once a session id is known (the
  server's "session" event, or setSessionId() from the keychain), else {"username","password"}
  (nothing when neither is set, for servers with auth:false). If a session id is refused and a
  password is known, the session id is dropped and the password is tried once. A refusal with
  "invalid credentials" ends in state Failed with invalidCredentials() true (the login form's
  cue); other refusals in Failed with their message.

  After a successful connection the Client reconnects by itself when the server goes away
  (state Reconnecting) and the models are refreshed by the next all_sockets.

  Models: sockets (+ socketsFilter for the table), rooms, clients, servers, namespaces (from
  server_stats), eventLog (+ eventLogFilter) and charts (aggregated events in 10 s slots).

  Features: supportedFeatures is the server's config; readonly is true when it allows no
  action; developmentMode follows the official UI (has ALL_EVENTS, or lacks AGGREGATED_EVENTS).
  Actions return false (and send nothing) when the server does not support them or the
  connection is not up.
*/
class AdminConnection : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("created by the ConnectionList")
    Q_PROPERTY(QUrl url READ url WRITE setUrl NOTIFY settingsChanged)
    Q_PROPERTY(QString path READ path WRITE setPath NOTIFY settingsChanged)
    Q_PROPERTY(QString namespaceName READ namespaceName WRITE setNamespaceName NOTIFY settingsChanged)
    Q_PROPERTY(bool websocketOnly READ websocketOnly WRITE setWebsocketOnly NOTIFY settingsChanged)
    Q_PROPERTY(QString username READ username WRITE setUsername NOTIFY settingsChanged)
    Q_PROPERTY(QString displayName READ displayName NOTIFY settingsChanged)
    Q_PROPERTY(bool hasPassword READ hasPassword NOTIFY credentialsChanged)
    Q_PROPERTY(bool hasSession READ hasSession NOTIFY credentialsChanged)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString stateText READ stateText NOTIFY stateChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY stateChanged)
    Q_PROPERTY(bool invalidCredentials READ invalidCredentials NOTIFY stateChanged)
    Q_PROPERTY(QString adminSocketId READ adminSocketId NOTIFY stateChanged)
    Q_PROPERTY(QStringList supportedFeatures READ supportedFeatures NOTIFY featuresChanged)
    Q_PROPERTY(bool readonly READ isReadonly NOTIFY featuresChanged)
    Q_PROPERTY(bool developmentMode READ isDevelopmentMode NOTIFY featuresChanged)
    Q_PROPERTY(bool canEmit READ canEmit NOTIFY featuresChanged)
    Q_PROPERTY(bool canJoin READ canJoin NOTIFY featuresChanged)
    Q_PROPERTY(bool canLeave READ canLeave NOTIFY featuresChanged)
    Q_PROPERTY(bool canDisconnect READ canDisconnect NOTIFY featuresChanged)
    Q_PROPERTY(bool canLeaveRoom READ canLeaveRoom NOTIFY featuresChanged)
    Q_PROPERTY(bool canDisconnectRoom READ canDisconnectRoom NOTIFY featuresChanged)
    Q_PROPERTY(SocketIo::Dashboard::SocketsModel *sockets READ sockets CONSTANT)
    Q_PROPERTY(SocketIo::Dashboard::SocketsFilterModel *socketsFilter READ socketsFilter CONSTANT)
    Q_PROPERTY(SocketIo::Dashboard::RoomsModel *rooms READ rooms CONSTANT)
    Q_PROPERTY(SocketIo::Dashboard::ClientsModel *clients READ clients CONSTANT)
    Q_PROPERTY(SocketIo::Dashboard::ServersModel *servers READ servers CONSTANT)
    Q_PROPERTY(SocketIo::Dashboard::NamespacesModel *namespaces READ namespaces CONSTANT)
    Q_PROPERTY(SocketIo::Dashboard::EventLogModel *eventLog READ eventLog CONSTANT)
    Q_PROPERTY(SocketIo::Dashboard::EventLogFilterModel *eventLogFilter READ eventLogFilter CONSTANT)
    Q_PROPERTY(SocketIo::Dashboard::ChartSeries *charts READ charts CONSTANT)
public:
    enum class State {
        Disconnected,   // not connected, not trying
        Connecting,     // first connection in progress (retrying while the server is unreachable)
        Connected,      // the admin namespace accepted us
        Reconnecting,   // the connection was lost; the client reconnects by itself
        Failed,         // the server refused the login (see errorString, invalidCredentials)
    };
    Q_ENUM(State)

    explicit AdminConnection(QObject *parent = nullptr);
    ~AdminConnection() override;

    QUrl url() const;
    void setUrl(const QUrl &url);
    QString path() const;
    void setPath(const QString &path);
    QString namespaceName() const;
    void setNamespaceName(const QString &nsp);
    bool websocketOnly() const;
    void setWebsocketOnly(bool on);
    QString username() const;
    void setUsername(const QString &username);
    QString displayName() const;

    /*! The password, kept in memory only (the ConnectionList stores it in the keychain). */
    Q_INVOKABLE void setPassword(const QString &password);
    bool hasPassword() const;
    /*! The admin session id (from the server's "session" event, or restored from the keychain). */
    QString sessionId() const;
    Q_INVOKABLE void setSessionId(const QString &sessionId);
    bool hasSession() const;
    /*! First reconnection delay in ms (default 1000, socket.io-client's); max is 5x. */
    void setReconnectionDelay(int ms);

    State state() const;
    QString stateText() const;
    QString errorString() const;
    bool invalidCredentials() const;
    QString adminSocketId() const;

    QStringList supportedFeatures() const;
    bool hasFeature(const QString &feature) const;
    bool isReadonly() const;
    bool isDevelopmentMode() const;
    bool canEmit() const;
    bool canJoin() const;
    bool canLeave() const;
    bool canDisconnect() const;
    bool canLeaveRoom() const;
    bool canDisconnectRoom() const;

    SocketsModel *sockets() const;
    SocketsFilterModel *socketsFilter() const;
    RoomsModel *rooms() const;
    ClientsModel *clients() const;
    ServersModel *servers() const;
    NamespacesModel *namespaces() const;
    EventLogModel *eventLog() const;
    EventLogFilterModel *eventLogFilter() const;
    ChartSeries *charts() const;

    /*! The client in use (null before open()). */
    SocketIo::Client *client() const;

    /*! Connects (again) with the current settings and credentials. */
    Q_INVOKABLE void open();
    /*! Disconnects; state Disconnected. The models keep their last content. */
    Q_INVOKABLE void close();

    /*! `join`: the sockets matching \a filter (a socket id, a room, or all when empty) join \a room. */
    Q_INVOKABLE bool joinRoom(const QString &nsp, const QString &room, const QString &filter = QString());
    /*! `leave`: the sockets matching \a filter (all when empty) leave \a room. */
    Q_INVOKABLE bool leaveRoom(const QString &nsp, const QString &room, const QString &filter = QString());
    /*! `_disconnect`: disconnects the sockets matching \a filter; \a closeConnection closes their
        whole Engine.IO connection. */
    Q_INVOKABLE bool disconnectSockets(const QString &nsp, const QString &filter = QString(),
                                       bool closeConnection = false);
    /*! `emit`: io.of(nsp)[.in(filter)].emit(event, ...args). */
    Q_INVOKABLE bool emitEvent(const QString &nsp, const QString &filter, const QString &event,
                               const QVariantList &args = QVariantList());

Q_SIGNALS:
    void settingsChanged();
    void credentialsChanged();
    void stateChanged();
    void featuresChanged();
    /*! A new session id arrived from the server (empty: the stored one was refused). */
    void sessionIdChanged(const QString &sessionId);
    /*! The server refused the login (\a message, e.g. "invalid credentials"). */
    void loginFailed(const QString &message);
    /*! An admin event was processed (name as on the wire), for tests and status displays. */
    void adminEventProcessed(const QString &event);

private:
    std::unique_ptr<AdminConnectionPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(AdminConnection)
    Q_DISABLE_COPY(AdminConnection)
};

} // namespace SocketIo::Dashboard
