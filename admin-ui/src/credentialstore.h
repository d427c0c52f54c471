#pragma once

#include <QObject>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

#include <memory>

namespace SocketIo::Dashboard {

class CredentialStorePrivate;

/*!
  Secrets of the dashboard (admin passwords and admin session ids) in the system keychain
  through QtKeychain (Secret Service on Linux, e.g. gnome-keyring), never in the settings file:
  QtKeychain's insecure fallback to a settings file is off.

  Every operation is an asynchronous QtKeychain job and ends with exactly one signal, from the
  event loop, never inside the call: secretRead() / secretWritten() / secretDeleted(), or
  errorOccurred() with QtKeychain's message (no keychain, locked, denied...). A read of a key
  that does not exist ends with secretRead(key, QString(), false).
*/
class CredentialStore : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the ConnectionList")
    Q_PROPERTY(QString service READ service CONSTANT)
    Q_PROPERTY(QString lastError READ lastError NOTIFY errorOccurred)
public:
    /*! Secrets are stored under \a service (the keychain's "application" attribute). */
    explicit CredentialStore(const QString &service = QStringLiteral("socketio-dashboard"),
                             QObject *parent = nullptr);
    ~CredentialStore() override;

    QString service() const;
    QString lastError() const;
    /*! Jobs started and not finished yet. */
    int pendingJobs() const;

    /*! The key of the admin password of \a username on the server at \a url. */
    static QString passwordKey(const QUrl &url, const QString &username);
    /*! The key of the admin session id on \a url, namespace \a nsp, for \a username. */
    static QString sessionKey(const QUrl &url, const QString &nsp, const QString &username);

    Q_INVOKABLE void writeSecret(const QString &key, const QString &secret);
    Q_INVOKABLE void readSecret(const QString &key);
    Q_INVOKABLE void deleteSecret(const QString &key);

Q_SIGNALS:
    void secretRead(const QString &key, const QString &secret, bool found);
    void secretWritten(const QString &key);
    void secretDeleted(const QString &key);
    void errorOccurred(const QString &key, const QString &message);

private:
    std::unique_ptr<CredentialStorePrivate> const d_ptr;
    Q_DECLARE_PRIVATE(CredentialStore)
    Q_DISABLE_COPY(CredentialStore)
};

} // namespace SocketIo::Dashboard
