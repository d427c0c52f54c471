#include "credentialstore.h"

#include "dashboardlogging.h"

#include <qt6keychain/keychain.h>

namespace SocketIo::Dashboard {

using namespace Qt::StringLiterals;

class CredentialStorePrivate
{
public:
    QString service;
    QString lastError;
    int pending = 0;
};

CredentialStore::CredentialStore(const QString &service, QObject *parent)
    : QObject(parent), d_ptr(std::make_unique<CredentialStorePrivate>())
{
    d_ptr->service = service;
}

CredentialStore::~CredentialStore() = default;

QString CredentialStore::service() const { return d_func()->service; }
QString CredentialStore::lastError() const { return d_func()->lastError; }
int CredentialStore::pendingJobs() const { return d_func()->pending; }

QString CredentialStore::passwordKey(const QUrl &url, const QString &username)
{
    return u"password:"_s + username + u'@' + url.toString(QUrl::RemoveUserInfo | QUrl::StripTrailingSlash);
}

QString CredentialStore::sessionKey(const QUrl &url, const QString &nsp, const QString &username)
{
    return u"session:"_s + username + u'@' + url.toString(QUrl::RemoveUserInfo | QUrl::StripTrailingSlash) + nsp;
}

namespace {
template <typename Job>
Job *makeJob(CredentialStore *store, const QString &service, const QString &key)
{
    auto *job = new Job(service, store);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);   // secrets never go to a plain settings file
    job->setKey(key);
    return job;
}
} // namespace

void CredentialStore::writeSecret(const QString &key, const QString &secret)
{
    Q_D(CredentialStore);
    auto *job = makeJob<QKeychain::WritePasswordJob>(this, d->service, key);
    job->setTextData(secret);
    ++d->pending;
    connect(job, &QKeychain::Job::finished, this, [this, key](QKeychain::Job *j) {
        Q_D(CredentialStore);
        --d->pending;
        if (j->error() != QKeychain::NoError) {
            d->lastError = j->errorString();
            qCWarning(lcDashboard) << "keychain: cannot store" << key << ":" << d->lastError;
            Q_EMIT errorOccurred(key, d->lastError);
            return;
        }
        Q_EMIT secretWritten(key);
    });
    job->start();
}

void CredentialStore::readSecret(const QString &key)
{
    Q_D(CredentialStore);
    auto *job = makeJob<QKeychain::ReadPasswordJob>(this, d->service, key);
    ++d->pending;
    connect(job, &QKeychain::Job::finished, this, [this, key](QKeychain::Job *j) {
        Q_D(CredentialStore);
        --d->pending;
        if (j->error() == QKeychain::EntryNotFound) {
            Q_EMIT secretRead(key, QString(), false);
            return;
        }
        if (j->error() != QKeychain::NoError) {
            d->lastError = j->errorString();
            qCWarning(lcDashboard) << "keychain: cannot read" << key << ":" << d->lastError;
            Q_EMIT errorOccurred(key, d->lastError);
            return;
        }
        Q_EMIT secretRead(key, static_cast<QKeychain::ReadPasswordJob *>(j)->textData(), true);
    });
    job->start();
}

void CredentialStore::deleteSecret(const QString &key)
{
    Q_D(CredentialStore);
    auto *job = makeJob<QKeychain::DeletePasswordJob>(this, d->service, key);
    ++d->pending;
    connect(job, &QKeychain::Job::finished, this, [this, key](QKeychain::Job *j) {
        Q_D(CredentialStore);
        --d->pending;
        if (j->error() != QKeychain::NoError && j->error() != QKeychain::EntryNotFound) {
            d->lastError = j->errorString();
            qCWarning(lcDashboard) << "keychain: cannot delete" << key << ":" << d->lastError;
            Q_EMIT errorOccurred(key, d->lastError);
            return;
        }
        Q_EMIT secretDeleted(key);
    });
    job->start();
}

} // namespace SocketIo::Dashboard
