#include "connectionlist.h"

#include "adminconnection.h"
#include "credentialstore.h"
#include "dashboardlogging.h"

#include <QPointer>
#include <QSettings>

namespace SocketIo::Dashboard {

using namespace Qt::StringLiterals;

class ConnectionListPrivate
{
public:
    QString settingsFile;
    QPointer<CredentialStore> store;
    QList<AdminConnection *> connections;
    int current = -1;

    std::unique_ptr<QSettings> settings() const
    {
        if (settingsFile.isEmpty())
            return std::make_unique<QSettings>();
        return std::make_unique<QSettings>(settingsFile, QSettings::IniFormat);
    }
};

ConnectionList::ConnectionList(const QString &settingsFile, CredentialStore *store, QObject *parent)
    : QAbstractListModel(parent), d_ptr(std::make_unique<ConnectionListPrivate>())
{
    Q_D(ConnectionList);
    d->settingsFile = settingsFile;
    d->store = store;
}

ConnectionList::~ConnectionList() = default;

int ConnectionList::rowCount(const QModelIndex &parent) const
{
    Q_D(const ConnectionList);
    return parent.isValid() ? 0 : int(d->connections.size());
}

int ConnectionList::count() const { return rowCount(); }
int ConnectionList::currentIndex() const { return d_func()->current; }
CredentialStore *ConnectionList::credentialStore() const { return d_func()->store; }
QString ConnectionList::settingsFile() const { return d_func()->settingsFile; }

AdminConnection *ConnectionList::at(int row) const
{
    Q_D(const ConnectionList);
    return row >= 0 && row < d->connections.size() ? d->connections.at(row) : nullptr;
}

AdminConnection *ConnectionList::current() const
{
    return at(currentIndex());
}

void ConnectionList::setCurrentIndex(int index)
{
    Q_D(ConnectionList);
    if (index < -1 || index >= d->connections.size() || index == d->current)
        return;
    d->current = index;
    Q_EMIT currentChanged();
}

QHash<int, QByteArray> ConnectionList::roleNames() const
{
    return {{ConnectionRole, "connection"}, {NameRole, "name"}, {StateRole, "state"}, {StateTextRole, "stateText"}};
}

QVariant ConnectionList::data(const QModelIndex &index, int role) const
{
    AdminConnection *c = at(index.row());
    if (!index.isValid() || !c)
        return {};
    switch (role) {
    case ConnectionRole: return QVariant::fromValue(c);
    case Qt::DisplayRole:
    case NameRole: return c->displayName();
    case StateRole: return QVariant::fromValue(c->state());
    case StateTextRole: return c->stateText();
    default: return {};
    }
}

AdminConnection *ConnectionList::addConnection(const QUrl &url, const QString &path, const QString &nsp,
                                               bool websocketOnly, const QString &username)
{
    Q_D(ConnectionList);
    auto *c = new AdminConnection(this);
    c->setUrl(url);
    c->setPath(path);
    c->setNamespaceName(nsp);
    for (int i = 0; i < d->connections.size(); ++i) {
        AdminConnection *old = d->connections.at(i);
        if (old->url() == c->url() && old->namespaceName() == c->namespaceName()) {
            delete c;
            old->setPath(path);
            old->setWebsocketOnly(websocketOnly);
            old->setUsername(username);
            saveSettings();
            return old;
        }
    }
    c->setWebsocketOnly(websocketOnly);
    c->setUsername(username);

    auto rowOf = [this, c] { return int(d_func()->connections.indexOf(c)); };
    auto changed = [this, rowOf] {
        const int row = rowOf();
        if (row >= 0)
            Q_EMIT dataChanged(index(row, 0), index(row, 0));
    };
    connect(c, &AdminConnection::stateChanged, this, changed);
    connect(c, &AdminConnection::settingsChanged, this, changed);
    connect(c, &AdminConnection::sessionIdChanged, this, [this, c](const QString &sessionId) {
        Q_D(ConnectionList);
        if (!d->store)
            return;
        const QString key = CredentialStore::sessionKey(c->url(), c->namespaceName(), c->username());
        if (sessionId.isEmpty())
            d->store->deleteSecret(key);
        else
            d->store->writeSecret(key, sessionId);
    });

    const int row = int(d->connections.size());
    beginInsertRows(QModelIndex(), row, row);
    d->connections.append(c);
    endInsertRows();
    Q_EMIT countChanged();
    if (d->current < 0)
        setCurrentIndex(row);
    saveSettings();
    return c;
}

void ConnectionList::connectTo(int row, const QString &password, bool remember)
{
    Q_D(ConnectionList);
    AdminConnection *c = at(row);
    if (!c)
        return;
    if (!password.isEmpty()) {
        c->setPassword(password);
        c->setSessionId(QString());   // a new login replaces any old session
        if (remember && d->store)
            d->store->writeSecret(CredentialStore::passwordKey(c->url(), c->username()), password);
        c->open();
        return;
    }
    if (!d->store) {
        c->open();
        return;
    }
    // session id first, then the password, then connect (each read answers asynchronously)
    const QString sessionKey = CredentialStore::sessionKey(c->url(), c->namespaceName(), c->username());
    const QString passwordKey = CredentialStore::passwordKey(c->url(), c->username());
    QPointer<AdminConnection> conn(c);
    auto *context = new QObject(this);
    auto finish = [this, conn, context](const QString &error) {
        if (!error.isEmpty())
            Q_EMIT credentialError(error);
        if (conn)
            conn->open();
        context->deleteLater();
    };
    connect(d->store, &CredentialStore::errorOccurred, context,
            [sessionKey, passwordKey, finish](const QString &key, const QString &message) {
                if (key == sessionKey || key == passwordKey)
                    finish(message);
            });
    connect(d->store, &CredentialStore::secretRead, context,
            [this, conn, sessionKey, passwordKey, finish](const QString &key, const QString &secret, bool found) {
                if (key == sessionKey) {
                    if (conn && found)
                        conn->setSessionId(secret);
                    if (d_func()->store)
                        d_func()->store->readSecret(passwordKey);
                } else if (key == passwordKey) {
                    if (conn && found)
                        conn->setPassword(secret);
                    finish(QString());
                }
            });
    d->store->readSecret(sessionKey);
}

void ConnectionList::removeConnection(int row)
{
    Q_D(ConnectionList);
    AdminConnection *c = at(row);
    if (!c)
        return;
    if (d->store) {
        d->store->deleteSecret(CredentialStore::passwordKey(c->url(), c->username()));
        d->store->deleteSecret(CredentialStore::sessionKey(c->url(), c->namespaceName(), c->username()));
    }
    beginRemoveRows(QModelIndex(), row, row);
    d->connections.removeAt(row);
    endRemoveRows();
    c->close();
    c->deleteLater();
    Q_EMIT countChanged();
    if (d->current >= d->connections.size() || d->current == row) {
        d->current = d->connections.isEmpty() ? -1 : 0;
        Q_EMIT currentChanged();
    } else if (d->current > row) {
        --d->current;
        Q_EMIT currentChanged();
    }
    saveSettings();
}

void ConnectionList::saveSettings() const
{
    Q_D(const ConnectionList);
    auto s = d->settings();
    s->remove(u"servers"_s);
    s->beginWriteArray(u"servers"_s, int(d->connections.size()));
    for (int i = 0; i < d->connections.size(); ++i) {
        const AdminConnection *c = d->connections.at(i);
        s->setArrayIndex(i);
        // non-secret settings only: the password and the session id live in the keychain
        s->setValue(u"url"_s, c->url().toString());
        s->setValue(u"path"_s, c->path());
        s->setValue(u"namespace"_s, c->namespaceName());
        s->setValue(u"websocketOnly"_s, c->websocketOnly());
        s->setValue(u"username"_s, c->username());
    }
    s->endArray();
    s->sync();
}

void ConnectionList::loadSettings()
{
    Q_D(ConnectionList);
    beginResetModel();
    for (AdminConnection *c : std::as_const(d->connections)) {
        c->close();
        c->deleteLater();
    }
    d->connections.clear();
    d->current = -1;
    endResetModel();
    auto s = d->settings();
    const int n = s->beginReadArray(u"servers"_s);
    struct Row { QUrl url; QString path, nsp, user; bool ws; };
    QList<Row> rows;
    for (int i = 0; i < n; ++i) {
        s->setArrayIndex(i);
        rows.append(Row{QUrl(s->value(u"url"_s).toString()), s->value(u"path"_s).toString(),
                        s->value(u"namespace"_s).toString(), s->value(u"username"_s).toString(),
                        s->value(u"websocketOnly"_s).toBool()});
    }
    s->endArray();
    for (const Row &r : rows)
        addConnection(r.url, r.path, r.nsp, r.ws, r.user);
    Q_EMIT countChanged();
    Q_EMIT currentChanged();
}

} // namespace SocketIo::Dashboard
