#pragma once

#include "adminconnection.h"
#include "credentialstore.h"

#include <QAbstractListModel>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

#include <functional>
#include <memory>

namespace SocketIo::Dashboard {

class ConnectionListPrivate;

/*!
  The monitored servers: a list of AdminConnection (several servers at once), the current one
  shown by the pages, the non-secret settings of each (url, path, namespace, WebSocket-only,
  username) persisted in QSettings, and their secrets in the CredentialStore (keychain): the
  password when the user asks to remember it, and the admin session id the server hands out.

  connectTo() with an empty password restores the session id and the password from the
  keychain first (both asynchronous), then connects.
*/
class ConnectionList : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("created by the application")
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(int currentIndex READ currentIndex WRITE setCurrentIndex NOTIFY currentChanged)
    Q_PROPERTY(SocketIo::Dashboard::AdminConnection *current READ current NOTIFY currentChanged)
    Q_PROPERTY(SocketIo::Dashboard::CredentialStore *credentialStore READ credentialStore CONSTANT)
public:
    enum Role { ConnectionRole = Qt::UserRole + 1, NameRole, StateRole, StateTextRole };
    Q_ENUM(Role)

    /*! Settings go to \a settingsFile (an INI file; empty: the application's default QSettings);
        secrets to \a store (not owned; null: secrets are kept in memory only). */
    explicit ConnectionList(const QString &settingsFile = QString(), CredentialStore *store = nullptr,
                            QObject *parent = nullptr);
    ~ConnectionList() override;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    int count() const;
    int currentIndex() const;
    void setCurrentIndex(int index);
    AdminConnection *current() const;
    CredentialStore *credentialStore() const;
    Q_INVOKABLE SocketIo::Dashboard::AdminConnection *at(int row) const;

    /*! Adds a server (or returns the one with the same url and namespace, updated) and saves
        the settings. Does not connect. */
    Q_INVOKABLE SocketIo::Dashboard::AdminConnection *addConnection(const QUrl &url, const QString &path = QString(),
                                                                   const QString &nsp = QString(),
                                                                   bool websocketOnly = false,
                                                                   const QString &username = QString());
    /*! Connects row \a row: with \a password (stored in the keychain when \a remember), or,
        when it is empty, with the session id and password found in the keychain. */
    Q_INVOKABLE void connectTo(int row, const QString &password = QString(), bool remember = false);
    /*! Disconnects and forgets a server, its settings and its secrets. */
    Q_INVOKABLE void removeConnection(int row);

    /*! Re-reads the settings (replacing the list; nothing connects). */
    void loadSettings();
    void saveSettings() const;
    QString settingsFile() const;

Q_SIGNALS:
    void countChanged();
    void currentChanged();
    /*! The keychain failed (\a message from QtKeychain); the connection goes on without it. */
    void credentialError(const QString &message);

private:
    std::unique_ptr<ConnectionListPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(ConnectionList)
    Q_DISABLE_COPY(ConnectionList)
};

} // namespace SocketIo::Dashboard
