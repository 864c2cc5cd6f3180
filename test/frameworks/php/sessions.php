<?php
/*
 * Real PHP sessions against the test database: Symfony 5.4 (Debian's php-symfony-http-foundation,
 * -security-core, -security-http: Session + NativeSessionStorage + PdoSessionHandler, and the firewall's
 * ContextListener) and Laravel's database session driver (Store + DatabaseSessionHandler + Encrypter,
 * re-implemented below line for line from Illuminate 8.83, the format Laravel 8-11 share).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/db php sessions.php <command> < request.json
 *
 * Debian packages: php8.2-cli php8.2-pgsql php8.2-mbstring php-symfony-http-foundation php-symfony-security-core
 * php-symfony-security-http (http-kernel comes with it). Laravel needs nothing beyond PHP's openssl, but for
 * laravel-authenticate: php-illuminate-auth (and -session, -database, which it runs).
 *
 * One JSON request on stdin, one JSON answer on stdout (PHP warnings go to stderr). A request that is a list
 * means {"sessions": list} (write commands) or {"ids": list} (load commands).
 *
 * symfony-create-table {"table"?}      PdoSessionHandler::createTable() (default table `sessions`).
 * symfony-write {"sessions": [{"data": {...}, "user"?: "alice", "userClass"?: "InMemoryUser"|"App\\Entity\\User",
 *                "userId"?: 7, "roles"?: ["ROLE_USER"], "password"?: hash, "token"?: "UsernamePasswordToken"|"PostAuthenticationToken",
 *                "firewall"?: "main", "lifetime"?: 1440, "handler"?: "php"|"php_serialize"|"php_binary",
 *                "legacy"?: bool, "ageSeconds"?: n}], "table"?}
 *        -> {"ids": [...]}. Each session is a fresh Symfony session (PHP makes the id: 26 chars of [0-9a-v]
 *           under Debian's php.ini), `data` set through Session::set, and for `user` the token the firewall
 *           stores: `_security_<firewall>` = serialize(token). gc_maxlifetime = lifetime, so sess_lifetime is
 *           now+lifetime. `legacy` then rewrites the row as Symfony < 4.4 wrote it (sess_lifetime = lifetime,
 *           a duration); `ageSeconds` moves the row that far into the past (both layouts).
 * symfony-load {"ids": [...], "handler"?: "php", "firewall"?: "main", "table"?, "users"?: {"alice":
 *               {"id"?, "password", "roles"}}, "usersTable"?: {"table": "public.users", "password": "password"}}
 *        -> {"results": {id: {"served", "problem": null|"missing"|"expired"|"undecodable: ...", "attributes",
 *           "flashes", "meta": {c, u, l}, "user": identifier|null, "token": {class, firewall, roles, userClass,
 *           userId} | {problem}}}}
 *           What a request presenting PHPSESSID=<id> gets: NativeSessionStorage (use_strict_mode: an unknown
 *           or expired id is replaced by a new one) and then the firewall's real ContextListener (token
 *           unserialized as Symfony does, user refreshed: by an InMemoryUserProvider / a Doctrine-like
 *           provider built from `users`; with `usersTable`, by Doctrine's EntityUserProvider as it reloads an
 *           App\Entity\User mapped on that table (id, email, the `password` column); or, without either, by a
 *           provider that finds every user unchanged). "served": the session started
 *           under this id. Not read-only where Symfony is not: PHP deletes a row it cannot decode.
 * laravel-create-table {"table"?}      Laravel 8's `session:table` migration as its PostgresGrammar prints it.
 * laravel-write {"sessions": [{"data": {...}, "user"?: 42, "guard"?: "web", "encrypt"?: bool, "ip"?, "userAgent"?,
 *                 "url"?: "http://localhost/home", "serialization"?: "php"|"json", "ageSeconds"?: n, "passwordHash"?,
 *                 "passwordHashHmac"?: bool}], "table"?}
 *        -> {"ids": [...]}: a session after one request: `_token`, data, `login_<guard>_<sha1(SessionGuard)>`,
 *           `_previous.url`, `_flash` aged, then payload = base64(serialize(attrs)) (encrypted: base64 of
 *           Encrypter::encrypt(serialize(attrs)), which serializes once more; "json": json_encode instead of
 *           the inner serialize, Laravel 9+). Needs APP_KEY to encrypt.
 * laravel-load {"ids": [...], "lifetime"?: 120 (minutes), "encrypt"?: bool, "serialization"?, "guard"?: "web", "table"?}
 *        -> {"results": {id: {"served", "problem", "attributes", "userId", "lastActivity"}}} as StartSession +
 *           Store::readFromHandler read it (an undecryptable or undecodable payload is an empty session).
 * laravel-authenticate {"ids": [...], "table"?, "save"?: bool} -> {"results": {id: {"reached", "user", "loggedOut",
 *        "events", "attributes"}}}: a request through Debian's real Illuminate 8.83 AuthManager, SessionGuard,
 *        EloquentUserProvider and AuthenticateSession middleware (php/laravel-auth.php; php-illuminate-auth).
 * laravel-cookie {"ids": [...]} -> {"cookies": {id: value}}: the laravel_session value EncryptCookies sets
 *        (header: rawurlencode(value)); {"cookies": [value]} -> {"ids": {value: id|null}} as it reads them.
 *        Env LARAVEL_COOKIE (default laravel_session), APP_KEY ("base64:..."), LARAVEL_CIPHER (AES-256-CBC).
 * decode [{"b64", "as": "serialize"|"php"|"php_serialize"|"php_binary"}] -> [{"ok", "value"|"error"}]:
 *        unserialize / session_decode of the bytes.
 * encode [{"b64" | "value", "as"}] -> [{"ok", "b64"|"error"}]: the bytes decoded and encoded again
 *        (serialize / session_encode), or a JSON value encoded.
 *
 * Values in: JSON, with {"$serialized": base64} for any PHP value given as serialize() bytes. Values out:
 * ints beyond 2^53 as strings, non-UTF-8 strings as base64, NaN/Infinity as strings, objects as
 * {"__class": ..., props} with the data serialize() stores (__serialize() when the class has one; private
 * and protected names plain), {"__class", "__case"} for enums, "__incomplete": true for a missing class,
 * {"__recursion": true} for a cycle: the view src/codecs/php/json-view.ts gives.
 */

namespace {
    ini_set('display_errors', 'stderr');
    ini_set('log_errors', '0');
    error_reporting(E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED);
    foreach (['HttpFoundation', 'HttpKernel', 'Security/Core', 'Security/Http'] as $component) {
        require_once "/usr/share/php/Symfony/Component/$component/autoload.php";
    }
}

namespace App\Entity {
    use Symfony\Component\Security\Core\User\PasswordAuthenticatedUserInterface;
    use Symfony\Component\Security\Core\User\UserInterface;

    /** The user class `bin/console make:user` generates in Symfony 5.4 (a Doctrine entity, annotations left out). */
    class User implements UserInterface, PasswordAuthenticatedUserInterface
    {
        private $id;
        private $email;
        private $roles = [];
        private $password;

        public function __construct(?int $id, string $email, array $roles, ?string $password)
        {
            [$this->id, $this->email, $this->roles, $this->password] = [$id, $email, $roles, $password];
        }
        public function getId(): ?int { return $this->id; }
        public function getUserIdentifier(): string { return (string) $this->email; }
        public function getUsername(): string { return (string) $this->email; }
        public function getRoles(): array { return array_unique(array_merge($this->roles, ['ROLE_USER'])); }
        public function getPassword(): ?string { return $this->password; }
        public function getSalt(): ?string { return null; }
        public function eraseCredentials() {}
    }
}

namespace {
    use App\Entity\User as AppUser;
    use Symfony\Component\HttpFoundation\Request;
    use Symfony\Component\HttpFoundation\Response;
    use Symfony\Component\HttpFoundation\Session\Session;
    use Symfony\Component\HttpFoundation\Session\Storage\Handler\SessionHandlerFactory;
    use Symfony\Component\HttpFoundation\Session\Storage\NativeSessionStorage;
    use Symfony\Component\HttpKernel\Event\RequestEvent;
    use Symfony\Component\HttpKernel\HttpKernelInterface;
    use Symfony\Component\Security\Core\Authentication\Token\Storage\TokenStorage;
    use Symfony\Component\Security\Core\Authentication\Token\TokenInterface;
    use Symfony\Component\Security\Core\Authentication\Token\UsernamePasswordToken;
    use Symfony\Component\Security\Core\Exception\UnsupportedUserException;
    use Symfony\Component\Security\Core\Exception\UserNotFoundException;
    use Symfony\Component\Security\Core\User\InMemoryUser;
    use Symfony\Component\Security\Core\User\InMemoryUserProvider;
    use Symfony\Component\Security\Core\User\UserInterface;
    use Symfony\Component\Security\Core\User\UserProviderInterface;
    use Symfony\Component\Security\Http\Authenticator\Token\PostAuthenticationToken;
    use Symfony\Component\Security\Http\Firewall\ContextListener;

    // ------------------------------------------------------------------------------------------------- values

    function fromJson($value)
    {
        if (!is_array($value)) {
            return $value;
        }
        if (array_keys($value) === ['$serialized']) {
            return unserialize(base64_decode($value['$serialized'], true), ['allowed_classes' => true]);
        }
        return array_map('fromJson', $value);
    }

    function view($value, array $path = [], int $depth = 0)
    {
        if ($depth > 64) {
            return ['__recursion' => true];
        }
        if (is_int($value)) {
            return abs($value) <= 9007199254740991 ? $value : (string) $value;
        }
        if (is_float($value)) {
            return is_nan($value) ? 'NaN' : (is_infinite($value) ? ($value > 0 ? 'Infinity' : '-Infinity') : $value);
        }
        if (is_string($value)) {
            return mb_check_encoding($value, 'UTF-8') ? $value : base64_encode($value);
        }
        if (is_array($value)) {
            $out = [];
            foreach ($value as $key => $item) {
                $out[$key] = view($item, $path, $depth + 1);
            }
            return array_is_list($value) ? $out : (object) $out;
        }
        if (!is_object($value)) {
            return $value; // null, bool
        }
        if ($value instanceof \UnitEnum) {
            return ['__class' => get_class($value), '__case' => $value->name];
        }
        if (isset($path[spl_object_id($value)])) {
            return ['__recursion' => true];
        }
        $path[spl_object_id($value)] = true;
        $out = ['__class' => get_class($value)];
        if ($value instanceof \__PHP_Incomplete_Class) {
            $props = (array) $value;
            $out['__class'] = $props['__PHP_Incomplete_Class_Name'];
            $out['__incomplete'] = true;
            unset($props['__PHP_Incomplete_Class_Name']);
        } elseif (method_exists($value, '__serialize')) {
            $props = $value->__serialize();
        } elseif ($value instanceof \Serializable) {
            return ['__class' => get_class($value), '__opaque' => true];
        } else {
            $props = get_mangled_object_vars($value);
        }
        foreach ($props as $name => $item) {
            $plain = is_string($name) && $name !== '' && $name[0] === "\0" ? substr($name, strrpos($name, "\0") + 1) : $name;
            if ($plain !== '__class') {
                $out[$plain] = view($item, $path, $depth + 1);
            }
        }
        return (object) $out;
    }

    function pdo(): \PDO
    {
        $url = parse_url(getenv('DATABASE_URL'));
        $dsn = sprintf('pgsql:host=%s;port=%d;dbname=%s', $url['host'] ?? '127.0.0.1', $url['port'] ?? 5432, rawurldecode(ltrim($url['path'] ?? '', '/')));
        return new \PDO($dsn, rawurldecode($url['user'] ?? 'postgres'), rawurldecode($url['pass'] ?? ''), [\PDO::ATTR_ERRMODE => \PDO::ERRMODE_EXCEPTION]);
    }

    function table(array $request, string $default): string
    {
        $table = $request['table'] ?? $default;
        if (!preg_match('/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/', $table)) {
            throw new \InvalidArgumentException("bad table name $table");
        }
        return $table;
    }

    // ------------------------------------------------------------------------------------------------ Symfony

    /** PdoSessionHandler as a Symfony app configured with `handler_id: '%env(DATABASE_URL)%'` gets it. */
    function symfonyHandler(array $request)
    {
        return SessionHandlerFactory::createHandler(getenv('DATABASE_URL'), ['db_table' => table($request, 'sessions')]);
    }

    function symfony_create_table(array $request): array
    {
        symfonyHandler($request)->createTable();
        return ['created' => table($request, 'sessions')];
    }

    function symfony_write(array $request): array
    {
        $ids = [];
        foreach ($request['sessions'] as $item) {
            $lifetime = $item['lifetime'] ?? 1440;
            $storage = new NativeSessionStorage([
                'serialize_handler' => $item['handler'] ?? 'php', 'gc_maxlifetime' => $lifetime, 'gc_probability' => 0,
            ], symfonyHandler($request));
            $session = new Session($storage);
            session_id(''); // a browser without a session cookie: PHP makes a new id
            $session->start();
            foreach ($item['data'] ?? [] as $key => $value) {
                $session->set($key, fromJson($value));
            }
            if (isset($item['user'])) {
                $roles = $item['roles'] ?? ['ROLE_USER'];
                $user = ($item['userClass'] ?? 'InMemoryUser') === 'InMemoryUser'
                    ? new InMemoryUser($item['user'], $item['password'] ?? '$2y$13$hashhashhashhashhashhu', $roles)
                    : new AppUser($item['userId'] ?? null, $item['user'], $roles, $item['password'] ?? '$2y$13$hashhashhashhashhashhu');
                $firewall = $item['firewall'] ?? 'main';
                // What form_login / json_login (UsernamePasswordToken) or a custom authenticator
                // (PostAuthenticationToken) create, and ContextListener::onKernelResponse stores.
                $token = ($item['token'] ?? 'UsernamePasswordToken') === 'PostAuthenticationToken'
                    ? new PostAuthenticationToken($user, $firewall, $user->getRoles())
                    : new UsernamePasswordToken($user, $firewall, $user->getRoles());
                $session->set('_security_'.$firewall, serialize($token));
            }
            $ids[] = $id = $session->getId();
            $session->save();
            $table = table($request, 'sessions');
            $age = (int) ($item['ageSeconds'] ?? 0);
            if ($age) { // as if written $age seconds ago: _sf2_meta's created / last used too
                $db = pdo();
                $select = $db->prepare("SELECT sess_data FROM $table WHERE sess_id = ?");
                $select->execute([$id]);
                $stored = decodeBytes(stream_get_contents($select->fetchColumn()), $item['handler'] ?? 'php');
                $stored['_sf2_meta']['u'] -= $age;
                $stored['_sf2_meta']['c'] -= $age;
                $update = $db->prepare("UPDATE $table SET sess_data = ? WHERE sess_id = ?");
                $update->bindValue(1, encodeValue($stored, $item['handler'] ?? 'php'), \PDO::PARAM_LOB);
                $update->bindValue(2, $id);
                $update->execute();
            }
            if (!empty($item['legacy'])) {
                pdo()->prepare("UPDATE $table SET sess_lifetime = ?, sess_time = sess_time - ? WHERE sess_id = ?")->execute([$lifetime, $age, $id]);
            } elseif ($age) {
                pdo()->prepare("UPDATE $table SET sess_lifetime = sess_lifetime - ?, sess_time = sess_time - ? WHERE sess_id = ?")->execute([$age, $age, $id]);
            }
        }
        return ['ids' => $ids];
    }

    /** A user provider that finds every user as it was stored (a refresh changes nothing). */
    final class UnchangedUserProvider implements UserProviderInterface
    {
        public function refreshUser(UserInterface $user) { return $user; }
        public function supportsClass(string $class) { return true; }
        public function loadUserByUsername(string $username) { throw new UserNotFoundException(); }
        public function loadUserByIdentifier(string $identifier) { throw new UserNotFoundException(); }
    }

    /** Doctrine's EntityUserProvider for App\Entity\User, over the `users` map: reloads by identifier. */
    final class AppUserProvider implements UserProviderInterface
    {
        public function __construct(private array $users) {}
        public function refreshUser(UserInterface $user) { return $this->loadUserByIdentifier($user->getUserIdentifier()); }
        public function supportsClass(string $class) { return $class === AppUser::class; }
        public function loadUserByUsername(string $username) { return $this->loadUserByIdentifier($username); }
        public function loadUserByIdentifier(string $identifier)
        {
            $found = $this->users[$identifier] ?? throw new UserNotFoundException();
            return new AppUser($found['id'] ?? null, $identifier, $found['roles'] ?? [], $found['password'] ?? null);
        }
    }

    /**
     * Doctrine's EntityUserProvider (symfony/doctrine-bridge 5.4) for an App\Entity\User entity mapped on a users
     * table (columns id, email and `password`), with a repository that is not a user provider: refreshUser()
     * reloads the user by its primary key (`$repository->find($id)`, the ids getIdentifierValues() takes from
     * the unserialized user) and throws UserNotFoundException when no row has it any more.
     */
    final class TableUserProvider implements UserProviderInterface
    {
        public function __construct(private string $table, private string $password)
        {
            if (!preg_match('/^[a-z_][a-z0-9_]*$/', $password)) {
                throw new \InvalidArgumentException("bad column name $password");
            }
        }
        public function refreshUser(UserInterface $user)
        {
            if (!$user instanceof AppUser) {
                throw new UnsupportedUserException(sprintf('Instances of "%s" are not supported.', get_debug_type($user)));
            }
            $id = ['id' => $user->getId()];
            $select = pdo()->prepare("SELECT id, email, {$this->password} AS password FROM {$this->table} WHERE id = ?");
            $select->execute([$id['id']]);
            $row = $select->fetch(\PDO::FETCH_ASSOC);
            if ($row === false) {
                $e = new UserNotFoundException('User with id '.json_encode($id).' not found.');
                $e->setUserIdentifier(json_encode($id));
                throw $e;
            }
            return new AppUser((int) $row['id'], $row['email'], [], $row['password']);
        }
        public function supportsClass(string $class) { return $class === AppUser::class; }
        public function loadUserByUsername(string $username) { throw new UserNotFoundException(); }
        public function loadUserByIdentifier(string $identifier) { throw new UserNotFoundException(); }
    }

    function symfony_load(array $request): array
    {
        $results = [];
        $firewall = $request['firewall'] ?? 'main';
        $providers = match (true) {
            isset($request['usersTable']) => [new TableUserProvider(
                table(['table' => $request['usersTable']['table'] ?? null], 'public.users'),
                $request['usersTable']['password'] ?? 'password',
            )],
            isset($request['users']) => [new InMemoryUserProvider($request['users']), new AppUserProvider($request['users'])],
            default => [new UnchangedUserProvider()],
        };
        $kernel = new class() implements HttpKernelInterface {
            public function handle(Request $request, int $type = self::MAIN_REQUEST, bool $catch = true): Response { return new Response(); }
        };
        foreach ($request['ids'] as $id) {
            $handler = symfonyHandler($request);
            $session = new Session(new NativeSessionStorage(['serialize_handler' => $request['handler'] ?? 'php', 'gc_probability' => 0], $handler));
            $session->setId($id); // the PHPSESSID cookie
            $out = ['served' => false, 'problem' => null, 'attributes' => null, 'flashes' => null, 'meta' => null, 'user' => null, 'token' => null];
            try {
                $session->start();
            } catch (\RuntimeException $e) {
                $out['problem'] = 'undecodable: '.$e->getMessage().' ('.(error_get_last()['message'] ?? '').')';
                $results[$id] = $out;
                continue;
            }
            $out['served'] = $session->getId() === $id;
            if (!$out['served']) {
                $out['problem'] = $handler->isSessionExpired() ? 'expired' : 'missing';
            }
            $meta = $session->getMetadataBag();
            $out['attributes'] = view($session->all());
            $out['flashes'] = view($session->getFlashBag()->peekAll());
            $out['meta'] = ['c' => $meta->getCreated(), 'u' => $meta->getLastUsed(), 'l' => $meta->getLifetime()];
            $stored = $session->get('_security_'.$firewall);
            $httpRequest = new Request([], [], [], [$session->getName() => $id]);
            $httpRequest->setSession($session);
            $tokens = new TokenStorage();
            try {
                (new ContextListener($tokens, $providers, $firewall))->authenticate(new RequestEvent($kernel, $httpRequest, HttpKernelInterface::MAIN_REQUEST));
                $token = $tokens->getToken();
                if ($token !== null) {
                    $user = $token->getUser();
                    $out['user'] = $token->getUserIdentifier();
                    $out['token'] = ['class' => get_class($token), 'firewall' => method_exists($token, 'getFirewallName') ? $token->getFirewallName() : null,
                        'roles' => $token->getRoleNames(), 'userClass' => is_object($user) ? get_class($user) : null,
                        'userId' => $user instanceof AppUser ? $user->getId() : null];
                } elseif ($stored !== null) { // why ContextListener dropped it
                    $probe = is_string($stored) ? @unserialize($stored) : $stored;
                    $out['token'] = ['problem' => match (true) {
                        !is_object($probe) => 'not a serialized object',
                        $probe instanceof \__PHP_Incomplete_Class, $probe instanceof TokenInterface && $probe->getUser() instanceof \__PHP_Incomplete_Class => 'a class is missing',
                        !$probe instanceof TokenInterface => 'not a token',
                        default => 'the user provider found the user changed or gone',
                    }];
                }
            } catch (\Throwable $e) {
                $out['token'] = ['problem' => get_class($e).': '.$e->getMessage()];
            }
            session_abort(); // read only: no write-back (a real request would save, moving sess_lifetime)
            $results[$id] = $out;
        }
        return ['results' => (object) $results];
    }

    // ------------------------------------------------------------------------------------------------ Laravel

    /** Illuminate\Encryption\Encrypter (8.83; the same payload in 9-11): base64 of JSON {iv, value, mac, tag}. */
    final class Encrypter
    {
        private const CIPHERS = ['aes-128-cbc' => [16, false], 'aes-256-cbc' => [32, false], 'aes-128-gcm' => [16, true], 'aes-256-gcm' => [32, true]];
        private string $cipher;

        public function __construct(private string $key, string $cipher)
        {
            $this->cipher = strtolower($cipher);
            if ((self::CIPHERS[$this->cipher][0] ?? -1) !== strlen($key)) {
                throw new \RuntimeException('Unsupported cipher or incorrect key length.');
            }
        }

        public static function fromEnv(): self
        {
            $key = getenv('APP_KEY') ?: throw new \RuntimeException('APP_KEY is not set');
            return new self(str_starts_with($key, 'base64:') ? base64_decode(substr($key, 7)) : $key, getenv('LARAVEL_CIPHER') ?: 'AES-256-CBC');
        }

        public function key(): string { return $this->key; }

        public function encrypt($value, bool $serialize = true): string
        {
            $iv = random_bytes(openssl_cipher_iv_length($this->cipher));
            $tag = '';
            $value = self::CIPHERS[$this->cipher][1]
                ? openssl_encrypt($serialize ? serialize($value) : $value, $this->cipher, $this->key, 0, $iv, $tag)
                : openssl_encrypt($serialize ? serialize($value) : $value, $this->cipher, $this->key, 0, $iv);
            $iv = base64_encode($iv);
            $tag = base64_encode($tag);
            $mac = self::CIPHERS[$this->cipher][1] ? '' : hash_hmac('sha256', $iv.$value, $this->key);
            return base64_encode(json_encode(compact('iv', 'value', 'mac', 'tag'), JSON_UNESCAPED_SLASHES));
        }

        public function decrypt(string $payload, bool $unserialize = true)
        {
            $payload = json_decode(base64_decode($payload), true);
            if (!is_array($payload) || !isset($payload['iv'], $payload['value'], $payload['mac'])
                || strlen(base64_decode($payload['iv'], true)) !== openssl_cipher_iv_length($this->cipher)) {
                throw new \DomainException('The payload is invalid.');
            }
            $aead = self::CIPHERS[$this->cipher][1];
            if (!$aead && !hash_equals(hash_hmac('sha256', $payload['iv'].$payload['value'], $this->key), $payload['mac'])) {
                throw new \DomainException('The MAC is invalid.');
            }
            $tag = empty($payload['tag']) ? null : base64_decode($payload['tag']);
            if (($aead && strlen((string) $tag) !== 16) || (!$aead && is_string($tag))) {
                throw new \DomainException('Could not decrypt the data.');
            }
            $decrypted = openssl_decrypt($payload['value'], $this->cipher, $this->key, 0, base64_decode($payload['iv']), $tag ?? '');
            if ($decrypted === false) {
                throw new \DomainException('Could not decrypt the data.');
            }
            return $unserialize ? unserialize($decrypted) : $decrypted;
        }
    }

    /** Illuminate\Support\Str::random. */
    function strRandom(int $length): string
    {
        $string = '';
        while (($len = strlen($string)) < $length) {
            $size = $length - $len;
            $string .= substr(str_replace(['/', '+', '='], '', base64_encode(random_bytes($size))), 0, $size);
        }
        return $string;
    }

    /** SessionGuard::getName(): the key holding the logged-in user's id. */
    function loginKey(string $guard): string
    {
        return 'login_'.$guard.'_'.sha1('Illuminate\Auth\SessionGuard');
    }

    function laravel_create_table(array $request): array
    {
        $t = table($request, 'sessions');
        $db = pdo();
        foreach ([
            "create table \"$t\" (\"id\" varchar(255) not null, \"user_id\" bigint null, \"ip_address\" varchar(45) null, \"user_agent\" text null, \"payload\" text not null, \"last_activity\" integer not null)",
            "alter table \"$t\" add primary key (\"id\")",
            "create index \"{$t}_user_id_index\" on \"$t\" (\"user_id\")",
            "create index \"{$t}_last_activity_index\" on \"$t\" (\"last_activity\")",
        ] as $sql) {
            $db->exec($sql);
        }
        return ['created' => $t];
    }

    function laravel_write(array $request): array
    {
        $db = pdo();
        $table = table($request, 'sessions');
        $ids = [];
        foreach ($request['sessions'] as $item) {
            $guard = $item['guard'] ?? 'web';
            $attributes = ['_token' => strRandom(40)]; // Store::start
            foreach ($item['data'] ?? [] as $key => $value) {
                $attributes[$key] = fromJson($value);
            }
            if (isset($item['user'])) {
                $attributes[loginKey($guard)] = $item['user']; // SessionGuard::updateSession
            }
            if (isset($item['passwordHash'])) { // AuthenticateSession::storePasswordHashInSession
                // Laravel 12.45+ stores SessionGuard::hashPasswordForCookie($hash) instead: an HMAC under app.key.
                $attributes['password_hash_'.$guard] = empty($item['passwordHashHmac'])
                    ? $item['passwordHash'] : hash_hmac('sha256', $item['passwordHash'], getenv('APP_KEY'));
            }
            if (($item['url'] ?? 'http://localhost') !== null) {
                $attributes['_previous']['url'] = $item['url'] ?? 'http://localhost'; // StartSession::storeCurrentUrl
            }
            foreach ($attributes['_flash']['old'] ?? [] as $key) { // Store::ageFlashData (top-level keys)
                unset($attributes[$key]);
            }
            $attributes['_flash']['old'] = $attributes['_flash']['new'] ?? [];
            $attributes['_flash']['new'] = [];
            $json = ($item['serialization'] ?? 'php') === 'json'; // Laravel 9+ `session.serialization`
            $data = $json ? json_encode($attributes) : serialize($attributes); // Store::save
            if (!empty($item['encrypt'])) {
                $data = Encrypter::fromEnv()->encrypt($data); // EncryptedStore::prepareForStorage
            }
            $ids[] = $id = strRandom(40);
            $db->prepare("INSERT INTO $table (payload, last_activity, user_id, ip_address, user_agent, id) VALUES (?, ?, ?, ?, ?, ?)")
                ->execute([base64_encode($data), time() - (int) ($item['ageSeconds'] ?? 0), $item['user'] ?? null,
                    $item['ip'] ?? '127.0.0.1', $item['userAgent'] ?? 'Symfony', $id]);
        }
        return ['ids' => $ids];
    }

    function laravel_load(array $request): array
    {
        $db = pdo();
        $table = table($request, 'sessions');
        $lifetime = (int) ($request['lifetime'] ?? 120);
        $json = ($request['serialization'] ?? 'php') === 'json';
        $results = [];
        foreach ($request['ids'] as $id) {
            $out = ['served' => false, 'problem' => null, 'attributes' => null, 'userId' => null, 'lastActivity' => null];
            $results[$id] = &$out;
            if (!(is_string($id) && ctype_alnum($id) && strlen($id) === 40)) { // Store::isValidId
                $out['problem'] = 'invalid id (Laravel starts a new session)';
                unset($out);
                continue;
            }
            $select = $db->prepare("SELECT * FROM $table WHERE id = ?");
            $select->execute([$id]);
            $row = $select->fetch(\PDO::FETCH_ASSOC);
            $out['lastActivity'] = $row['last_activity'] ?? null;
            // DatabaseSessionHandler::read / expired()
            if ($row === false || !isset($row['payload'])) {
                $out['problem'] = 'missing';
            } elseif (isset($row['last_activity']) && $row['last_activity'] < time() - $lifetime * 60) {
                $out['problem'] = 'expired';
            } elseif (!($data = base64_decode($row['payload']))) {
                $out['problem'] = 'empty payload';
            } else {
                if (!empty($request['encrypt'])) { // EncryptedStore::prepareForUnserialize
                    try {
                        $data = Encrypter::fromEnv()->decrypt($data);
                    } catch (\DomainException $e) {
                        $out['problem'] = 'undecryptable: '.$e->getMessage();
                        $data = $json ? json_encode([]) : serialize([]);
                    }
                }
                $decoded = $json ? json_decode($data, true) : @unserialize($data); // Store::readFromHandler
                if ($out['problem'] === null && !is_array($decoded)) {
                    $out['problem'] = 'undecodable';
                }
                $out['served'] = $out['problem'] === null;
                $attributes = is_array($decoded) ? $decoded : [];
                $out['attributes'] = view($attributes);
                $out['userId'] = view($attributes[loginKey($request['guard'] ?? 'web')] ?? null);
            }
            unset($out);
        }
        return ['results' => (object) $results];
    }

    function laravel_cookie(array $request): array
    {
        $encrypter = Encrypter::fromEnv();
        $name = getenv('LARAVEL_COOKIE') ?: 'laravel_session';
        $prefix = hash_hmac('sha1', $name.'v2', $encrypter->key()).'|'; // CookieValuePrefix::create
        if (isset($request['cookies'])) { // EncryptCookies::decrypt
            $ids = [];
            foreach ($request['cookies'] as $value) {
                try {
                    $plain = $encrypter->decrypt($value, false);
                    $ids[$value] = str_starts_with($plain, $prefix) ? substr($plain, 41) : null;
                } catch (\DomainException $e) {
                    $ids[$value] = null;
                }
            }
            return ['ids' => (object) $ids];
        }
        $cookies = [];
        foreach ($request['ids'] as $id) { // EncryptCookies::encrypt
            $cookies[$id] = $encrypter->encrypt($prefix.$id, false);
        }
        return ['cookies' => (object) $cookies];
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** A session kept in memory, for session_decode / session_encode (they need an active session). */
    final class MemoryHandler implements \SessionHandlerInterface
    {
        public function open($path, $name): bool { return true; }
        public function close(): bool { return true; }
        public function read($id): string { return ''; }
        public function write($id, $data): bool { return true; }
        public function destroy($id): bool { return true; }
        public function gc($max): int { return 0; }
    }

    function decodeBytes(string $bytes, string $as)
    {
        if ($as === 'serialize') {
            $value = @unserialize($bytes);
            if ($value === false && $bytes !== serialize(false)) {
                throw new \UnexpectedValueException(error_get_last()['message'] ?? 'unserialize failed');
            }
            return $value;
        }
        session_set_save_handler(new MemoryHandler(), false);
        session_id('decode');
        session_start(['serialize_handler' => $as, 'use_cookies' => 0, 'use_strict_mode' => 0, 'cache_limiter' => '']);
        $ok = @session_decode($bytes);
        $value = $_SESSION;
        session_abort();
        if (!$ok) {
            throw new \UnexpectedValueException(error_get_last()['message'] ?? 'session_decode failed');
        }
        return $value;
    }

    function encodeValue($value, string $as): string
    {
        if ($as === 'serialize') {
            return serialize($value);
        }
        session_set_save_handler(new MemoryHandler(), false);
        session_id('encode');
        session_start(['serialize_handler' => $as, 'use_cookies' => 0, 'use_strict_mode' => 0, 'cache_limiter' => '']);
        $_SESSION = $value;
        $bytes = session_encode();
        session_abort();
        return $bytes;
    }

    function decode(array $request): array
    {
        return array_map(function ($item) {
            try {
                return ['ok' => true, 'value' => view(decodeBytes(base64_decode($item['b64'], true), $item['as'] ?? 'serialize'))];
            } catch (\Throwable $e) {
                return ['ok' => false, 'error' => $e->getMessage()];
            }
        }, $request);
    }

    function encode(array $request): array
    {
        return array_map(function ($item) {
            try {
                $as = $item['as'] ?? 'serialize';
                $value = isset($item['b64']) ? decodeBytes(base64_decode($item['b64'], true), $as) : fromJson($item['value']);
                return ['ok' => true, 'b64' => base64_encode(encodeValue($value, $as))];
            } catch (\Throwable $e) {
                return ['ok' => false, 'error' => $e->getMessage()];
            }
        }, $request);
    }

    // ------------------------------------------------------------------------------------------------ main

    $commands = ['symfony-create-table', 'symfony-write', 'symfony-load', 'laravel-create-table', 'laravel-write',
        'laravel-load', 'laravel-authenticate', 'laravel-cookie', 'decode', 'encode'];
    $command = $argv[1] ?? '';
    if (!in_array($command, $commands, true)) {
        fwrite(STDERR, 'usage: php sessions.php {'.implode(',', $commands)."} < request.json\n");
        exit(2);
    }
    if (!getenv('DATABASE_URL') && !in_array($command, ['decode', 'encode', 'laravel-cookie'], true)) {
        fwrite(STDERR, "sessions.php: DATABASE_URL is not set\n");
        exit(2);
    }
    $raw = stream_get_contents(STDIN);
    $request = trim($raw) === '' ? [] : json_decode($raw, true, 512, JSON_THROW_ON_ERROR);
    if (array_is_list($request) && !in_array($command, ['decode', 'encode'], true)) {
        $request = [str_contains($command, 'write') ? 'sessions' : 'ids' => $request];
    }
    if ($command === 'laravel-authenticate') {
        require __DIR__.'/laravel-auth.php';
    }
    $answer = call_user_func(str_replace('-', '_', $command), $request);
    echo json_encode($answer, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR), "\n";
}
