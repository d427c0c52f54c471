#include "adminsessionstore.h"

#include <QDeadlineTimer>
#include <QHash>

namespace SocketIo {

AdminSessionStore::~AdminSessionStore() = default;

class InMemoryAdminSessionStorePrivate
{
public:
    // session id -> expiry; expired entries are dropped on every access (also from size() const)
    mutable QHash<QString, QDeadlineTimer> sessions;
    void purgeExpired() const
    {
        for (auto it = sessions.begin(); it != sessions.end();) {
            if (it->hasExpired())
                it = sessions.erase(it);
            else
                ++it;
        }
    }
};

InMemoryAdminSessionStore::InMemoryAdminSessionStore() : d_ptr(std::make_unique<InMemoryAdminSessionStorePrivate>()) {}

InMemoryAdminSessionStore::~InMemoryAdminSessionStore() = default;

void InMemoryAdminSessionStore::contains(const QString &sessionId, const std::function<void(bool)> &done)
{
    Q_D(InMemoryAdminSessionStore);
    d->purgeExpired();
    done(d->sessions.contains(sessionId));
}

void InMemoryAdminSessionStore::save(const QString &sessionId, std::chrono::seconds duration)
{
    Q_D(InMemoryAdminSessionStore);
    // the table only grows with password logins; expired ids go here too, not only on lookups
    d->purgeExpired();
    d->sessions.insert(sessionId, QDeadlineTimer(duration));
}

int InMemoryAdminSessionStore::size() const
{
    Q_D(const InMemoryAdminSessionStore);
    d->purgeExpired();
    return int(d->sessions.size());
}

} // namespace SocketIo
